"""What the tests (and the benchmarks) share, imported as `support.<module>` (pytest puts
tests/ on sys.path: `pythonpath` in pyproject.toml).

- `servers`: a real docent server in a subprocess, and raw GraphQL clients (HTTP, WebSocket).
- `samples`: real files made from scratch (PDF, DOCX) and sample texts.
- `fake_providers`: a local server speaking the Cohere and Gemini wire protocols.
- `oidc`: an OpenID Connect issuer (a JWKS endpoint) and tokens, good and forged.
- `es_node`: the session's Elasticsearch node (a pytest plugin: the `es_url` fixture).
- `scripts`: the tools in scripts/, loaded by path or run, and `free_port`.
- `prerequisites`: what a test does when something it needs is missing (CI: fail; else skip).
- `paths`: where the repository and the shared datasets are.
- `vectors`: the vector dimension of the search-backend fixtures, and unit vectors.
- `netguard/`: the sitecustomize that refuses network access in the server subprocesses.
"""
