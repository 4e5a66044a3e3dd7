"""GraphiQL, served from docent itself so that it works without internet access.

Strawberry's page loads GraphiQL, React and the explorer plugin from unpkg.com. docent's
copy of the page (`graphiql.html`) loads the same files, with the same subresource
integrity hashes, from /graphql-assets. `scripts/fetch_graphiql_assets.py` fetches them
from the npm registry at install or image-build time into `api/static/graphiql`; they are
never committed.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

ASSETS_DIR = Path(__file__).parent / "static" / "graphiql"
ASSETS_PATH = "/graphql-assets"
_TEMPLATE = Path(__file__).parent / "graphiql.html"

_MISSING = """<!doctype html><html><head><meta charset="utf-8"><title>docent GraphiQL</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>GraphiQL assets are not installed</h1>
<p>docent serves GraphiQL from its own files so that it works offline. Fetch them once with
<code>python scripts/fetch_graphiql_assets.py api/static/graphiql</code> (needs npm), then
reload this page.</p>
<p>The GraphQL API itself works: POST queries to <code>/graphql</code>.</p>
</body></html>"""


def assets_route() -> Mount:
    # Without the folder, StaticFiles(check_dir=False) answers 500; an empty mount gives 404.
    directory = ASSETS_DIR if ASSETS_DIR.is_dir() else None
    app = StaticFiles(directory=directory, check_dir=False) if directory else _not_found
    return Mount(ASSETS_PATH, app=app, name="graphiql-assets")


async def _not_found(scope, receive, send):
    from starlette.responses import PlainTextResponse

    await PlainTextResponse("GraphiQL assets are not installed", status_code=404)(
        scope, receive, send
    )


@lru_cache(maxsize=1)
def graphiql_html() -> str:
    if not (ASSETS_DIR / "manifest.json").is_file():
        return _MISSING
    return _TEMPLATE.read_text(encoding="utf-8")
