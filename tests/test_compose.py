"""The deployment files: docker-compose.yml and the Dockerfile, checked without Docker.

docker-compose.yml is validated against the Compose Specification's own JSON schema (fetched
from PyPI at install time by scripts/fetch_compose_schema.py, never at test time), then
against docent: its settings, the Elasticsearch version it pins, its safety rules (loopback
only while unauthenticated, no committed secrets) and the image the Dockerfile builds.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import os
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from packaging.requirements import Requirement

from docent.api.auth import check_bind
from docent.settings import Settings

from support.paths import REPO
from support.prerequisites import unavailable
from support.scripts import load_script

COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
DOCENT_SERVICES = ("api", "worker")
SECRET_NAME = re.compile(r"KEY|SECRET|TOKEN|PASSW|CREDENTIAL", re.IGNORECASE)
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}
INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


def known_settings() -> set[str]:
    """Every DOCENT_* name docent reads: one per field of each settings class."""
    settings = Settings()
    groups = (
        settings.storage,
        settings.search,
        settings.queue,
        settings.ingestion,
        settings.models,
        settings.api,
    )
    return {f"DOCENT_{name.upper()}" for group in groups for name in type(group).model_fields}


def environment(service: dict[str, Any]) -> dict[str, Any]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # ["NAME=value", "NAME"]
        return {k: v for k, _, v in (e.partition("=") for e in env)} | {
            e: None for e in env if "=" not in e
        }
    return dict(env)


def resolved(value: Any) -> str | None:
    """A value as compose would set it with nothing in the shell: ${X:-d} gives d, ${X}
    gives nothing (None: the variable is left unset)."""
    if value is None:
        return None
    text = str(value).lower() if isinstance(value, bool) else str(value)
    match = INTERPOLATION.fullmatch(text)
    if match and match.group(2) in (":-", "-"):
        return match.group(3)
    if match:
        return None
    return INTERPOLATION.sub(lambda m: m.group(3) if m.group(2) in (":-", "-") else "", text)


def published_ports(service: dict[str, Any]) -> list[tuple[str | None, str]]:
    """(host IP or None for every interface, container port) of each published port."""
    ports = []
    for port in service.get("ports", []):
        if isinstance(port, dict):
            ports.append((port.get("host_ip"), str(port["target"])))
            continue
        parts = str(port).rsplit(":", 2)
        host_ip = parts[0] if len(parts) == 3 else None
        ports.append((host_ip, parts[-1].split("/")[0]))
    return ports


def named_volumes(service: dict[str, Any]) -> dict[str, str]:
    """{volume name: target} of a service's named volumes (bind mounts left out)."""
    mounts = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            if volume.get("type", "volume") == "volume" and volume.get("source"):
                mounts[volume["source"]] = volume["target"]
            continue
        source, _, rest = str(volume).partition(":")
        if rest and not source.startswith((".", "/", "~", "$")):
            mounts[source] = rest.split(":")[0]
    return mounts


def healthcheck_command(service: dict[str, Any]) -> str:
    check = service.get("healthcheck") or {}
    assert check and not check.get("disable"), "no healthcheck"
    test = check["test"]
    assert test and test[0] in ("CMD", "CMD-SHELL"), test
    return " ".join(test[1:]) if isinstance(test, list) else str(test)


# --------------------------------------------------------------------------- schema


def compose_spec_schema() -> dict[str, Any]:
    fetcher = load_script("fetch_compose_schema")
    path = fetcher.cached_schema()
    if path is None:
        unavailable(
            "Compose Specification schema",
            f"it is not in {fetcher.default_cache_dir()}: "
            "run `python scripts/fetch_compose_schema.py` (scripts/install --test does)",
        )
    return dict(json.loads(path.read_text()))


def schema_errors(schema: dict[str, Any], document: dict[str, Any]) -> list[str]:
    try:
        import jsonschema
    except ImportError:
        unavailable("jsonschema", "it is not installed (it is in docent's `test` extra)")
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    errors = validator_class(schema).iter_errors(document)
    return sorted(f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors)


def test_compose_file_matches_the_compose_specification(compose: dict[str, Any]) -> None:
    errors = schema_errors(compose_spec_schema(), compose)
    assert not errors, "docker-compose.yml breaks the Compose Specification:\n" + "\n".join(errors)


@pytest.mark.parametrize(
    ("path", "key", "value"),
    [
        (("services", "api", "healthcheck"), "intervall", "5s"),  # a misspelt key
        (("services", "api", "depends_on", "redis"), "condition", "healthy"),  # not in the enum
        (("services", "api"), "ports", "127.0.0.1:8000:8000"),  # not a list
        (("volumes",), "Not a volume name!", None),
    ],
)
def test_the_schema_check_catches_mistakes(
    compose: dict[str, Any], path: tuple[str, ...], key: str, value: Any
) -> None:
    """The schema is strict: a check that could not fail would prove nothing."""
    broken = copy.deepcopy(compose)
    node = broken
    for part in path:
        node = node[part]
    node[key] = value
    assert schema_errors(compose_spec_schema(), broken)


# --------------------------------------------------------------------------- docent


def test_compose_file_is_consistent_with_the_settings(services: dict[str, Any]) -> None:
    assert {"elasticsearch", "redis", "s3", "api", "worker"} <= set(services)
    known = known_settings()
    for name in DOCENT_SERVICES:
        env = environment(services[name])
        unknown = {k for k in env if k.startswith("DOCENT_")} - known
        assert not unknown, f"{name} sets unknown settings {unknown}"
        assert env["DOCENT_SEARCH_BACKEND"] == "elasticsearch"
        assert env["DOCENT_ELASTICSEARCH_URL"] == "http://elasticsearch:9200"
        assert env["DOCENT_REDIS_URL"] == "redis://redis:6379/0"
        assert env["DOCENT_DATA_DIR"] == "/data"
        for setting in ("DOCENT_EMBEDDER", "DOCENT_RERANKER", "DOCENT_GENERATOR"):
            assert setting in env, f"{name} does not set {setting}"
        assert {"COHERE_API_KEY", "GEMINI_API_KEY"} <= set(env), f"{name} drops provider keys"
    # the API and the workers must agree on everything
    assert environment(services["api"]) == environment(services["worker"])


@pytest.mark.parametrize("name", DOCENT_SERVICES)
def test_docent_accepts_the_compose_environment(
    services: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """docent reads the service's environment, as compose would set it, without an error,
    and agrees to listen on every interface in the container (docent serve --host 0.0.0.0)."""
    for variable in list(os.environ):
        if variable.startswith("DOCENT_") or variable in ("COHERE_API_KEY", "GEMINI_API_KEY"):
            monkeypatch.delenv(variable)
    monkeypatch.chdir(tmp_path)  # no .env of the working tree
    for variable, value in environment(services[name]).items():
        if (text := resolved(value)) is not None:
            monkeypatch.setenv(variable, text)
    settings = Settings.load()
    assert settings.search.search_backend == "elasticsearch"
    assert settings.queue.redis_url == "redis://redis:6379/0"
    assert settings.storage.data_dir == Path("/data")
    assert settings.storage.s3_location == ("docent", "files/")
    assert settings.storage.s3_endpoint_url == "http://s3:80"
    assert settings.models.cohere_api_key is None and settings.models.gemini_api_key is None
    check_bind("0.0.0.0", settings.api.auth, allow_insecure=settings.api.allow_insecure_bind)


def test_urls_point_at_the_services(services: dict[str, Any]) -> None:
    for name in DOCENT_SERVICES:
        env = environment(services[name])
        es = urlsplit(env["DOCENT_ELASTICSEARCH_URL"])
        assert es.hostname in services and "elasticsearch" in services[es.hostname]["image"]
        assert es.port == 9200
        redis = urlsplit(env["DOCENT_REDIS_URL"])
        assert redis.hostname in services and "redis" in services[redis.hostname]["image"]
        assert (redis.port or 6379) == 6379


def test_elasticsearch_image_is_the_pinned_version(services: dict[str, Any]) -> None:
    es_version = load_script("elasticsearch").ES_VERSION
    image = services["elasticsearch"]["image"]
    assert image == f"docker.elastic.co/elasticsearch/elasticsearch:{es_version}", (
        f"the compose file runs {image}, but docent pins and tests Elasticsearch {es_version} "
        "(scripts/elasticsearch.py)"
    )
    # The Python client's major version must be the server's.
    major = int(es_version.split(".")[0])
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    client = next(Requirement(d) for d in dependencies if Requirement(d).name == "elasticsearch")
    assert client.specifier.contains(es_version), client
    assert not client.specifier.contains(f"{major + 1}.0.0"), client
    assert not client.specifier.contains(f"{major - 1}.99.0"), client
    import elasticsearch

    assert elasticsearch.__versionstr__.split(".")[0] == str(major)


def test_elasticsearch_node_settings(services: dict[str, Any]) -> None:
    es = services["elasticsearch"]
    env = {k: resolved(v) for k, v in environment(es).items()}
    assert env["discovery.type"] == "single-node"
    # Security off is only acceptable because nothing but this machine can reach the node;
    # docent's URL then carries no credentials (docent shows that URL in its messages).
    assert env["xpack.security.enabled"] == "false"
    assert published_ports(es), "9200 is published on the loopback for the operator"
    for name in DOCENT_SERVICES:
        assert urlsplit(environment(services[name])["DOCENT_ELASTICSEARCH_URL"]).password is None
    assert env["xpack.ml.enabled"] == "false"
    assert env["ingest.geoip.downloader.enabled"] == "false"  # no call to the internet
    # a fixed heap, locked in memory, at most half of the container's memory
    heap = dict(re.findall(r"-Xm([sx])(\d+[gmk])", env["ES_JAVA_OPTS"] or ""))
    assert set(heap) == {"s", "x"} and heap["s"] == heap["x"], env["ES_JAVA_OPTS"]
    if "mem_limit" in es:
        units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}

        def size(text: str) -> int:
            return int(text[:-1]) * units[text[-1].lower()]

        assert size(heap["x"]) * 2 <= size(str(es["mem_limit"]))
    assert env["bootstrap.memory_lock"] == "true"
    assert es["ulimits"]["memlock"] == {"soft": -1, "hard": -1}
    nofile = es["ulimits"]["nofile"]
    assert int(nofile["soft"]) >= 65535 and int(nofile["hard"]) >= 65535
    assert named_volumes(es).get("es-data") == "/usr/share/elasticsearch/data"
    check = healthcheck_command(es)
    assert "_cluster/health" in check and "wait_for_status=yellow" in check, check


def test_redis_keeps_its_queue(services: dict[str, Any]) -> None:
    redis = services["redis"]
    assert "--appendonly" in redis["command"]
    assert redis["command"][redis["command"].index("--appendonly") + 1] == "yes"
    assert named_volumes(redis).get("redis-data") == "/data"
    assert "redis-cli" in healthcheck_command(redis)
    assert not published_ports(redis)


def test_docent_waits_for_healthy_elasticsearch_and_redis(services: dict[str, Any]) -> None:
    for name in DOCENT_SERVICES:
        depends = services[name]["depends_on"]
        for dependency in ("elasticsearch", "redis"):
            assert depends[dependency]["condition"] == "service_healthy", (name, dependency)
    # a service_healthy dependency needs a healthcheck, or it never becomes healthy
    for name, service in services.items():
        for dependency, rule in (service.get("depends_on") or {}).items():
            if rule.get("condition") == "service_healthy":
                assert healthcheck_command(services[dependency]), (name, dependency)


def test_every_published_port_is_on_the_loopback(services: dict[str, Any]) -> None:
    """DOCENT_AUTH=none and Elasticsearch without security: nothing may reach them from
    another machine."""
    for name, service in services.items():
        for host_ip, _ in published_ports(service):
            assert host_ip is not None, f"{name} publishes a port on every interface"
            assert ipaddress.ip_address(host_ip.strip("[]")).is_loopback, (name, host_ip)
    assert ("127.0.0.1", "8000") in published_ports(services["api"])
    env = environment(services["api"])
    assert env["DOCENT_AUTH"] == "none" and env["DOCENT_ALLOW_INSECURE_BIND"] == "true"


def test_volumes_are_declared_and_nothing_is_shared_but_the_services(
    compose: dict[str, Any], services: dict[str, Any]
) -> None:
    declared = set(compose.get("volumes") or {})
    used = {volume for s in services.values() for volume in named_volumes(s)}
    assert used <= declared, f"undeclared volumes {used - declared}"
    assert declared <= used, f"unused volumes {declared - used}"
    for name in DOCENT_SERVICES:
        # API and workers could each run on a machine of its own: no volume, no bind mount
        assert not services[name].get("volumes"), f"{name} mounts {services[name]['volumes']}"


def test_files_are_kept_on_the_s3_service(services: dict[str, Any]) -> None:
    s3 = services["s3"]
    version = load_script("s3proxy").VERSION
    assert s3["image"] == f"andrewgaul/s3proxy:s3proxy-{version}", (
        f"the compose file runs {s3['image']}, but the tests run S3Proxy {version} "
        "(scripts/s3proxy.py)"
    )
    s3_env = environment(s3)
    assert s3_env["JCLOUDS_PROVIDER"] == "filesystem"
    assert named_volumes(s3) == {"s3-data": s3_env["JCLOUDS_FILESYSTEM_BASEDIR"]}
    listening = urlsplit(s3_env["S3PROXY_ENDPOINT"])
    assert "bash" in healthcheck_command(s3) and f"/{listening.port}" in healthcheck_command(s3)
    assert not published_ports(s3)
    start = " ".join(s3["entrypoint"])
    for name in DOCENT_SERVICES:
        env = environment(services[name])
        bucket, _, prefix = env["DOCENT_BLOB_STORE"].removeprefix("s3://").partition("/")
        assert env["DOCENT_BLOB_STORE"].startswith("s3://") and bucket and prefix
        endpoint = urlsplit(env["DOCENT_S3_ENDPOINT_URL"])
        assert endpoint.hostname == "s3" and endpoint.port == listening.port
        # the bucket exists before docent checks it, made as a folder of the backend
        assert f"mkdir -p {s3_env['JCLOUDS_FILESYSTEM_BASEDIR']}/{bucket}" in start
        # the keys docent signs with are the server's identity, passed through, never written
        assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= set(env)
        assert env["AWS_ACCESS_KEY_ID"] is None and env["AWS_SECRET_ACCESS_KEY"] is None
        assert services[name]["depends_on"]["s3"]["condition"] == "service_healthy"
    assert 'S3PROXY_IDENTITY="$$AWS_ACCESS_KEY_ID"' in start
    assert 'S3PROXY_CREDENTIAL="$$AWS_SECRET_ACCESS_KEY"' in start
    assert s3_env["AWS_ACCESS_KEY_ID"] is None and s3_env["AWS_SECRET_ACCESS_KEY"] is None


def test_healthchecks_and_restart_policies(services: dict[str, Any]) -> None:
    check = healthcheck_command(services["api"])
    assert "/readyz" in check and ":8000" in check, check
    for name, service in services.items():
        assert service.get("restart") in ("always", "unless-stopped"), name


def test_no_secret_is_committed(services: dict[str, Any]) -> None:
    """Keys are passed through from the shell (a name without a value) or as a plain
    ${NAME} reference: never a value, and never a default."""
    for name, service in services.items():
        for variable, value in environment(service).items():
            if isinstance(value, str) and (url := urlsplit(value)).scheme:
                assert url.password is None, f"{name}: {variable} holds a password"
            if not SECRET_NAME.search(variable):
                continue
            assert value is None or value == f"${{{variable}}}", (
                f"{name}: {variable} must be passed through, not given a value"
            )
    text = COMPOSE_FILE.read_text()
    for match in INTERPOLATION.finditer(text):
        if SECRET_NAME.search(match.group(1)):
            assert match.group(2) is None, f"a default for {match.group(1)}"


def test_workers(services: dict[str, Any]) -> None:
    worker = services["worker"]
    assert worker["command"] == ["docent", "worker"]
    assert worker["deploy"]["replicas"] == 2
    assert "container_name" not in worker and not published_ports(worker)  # replicas clash
    # the image's HEALTHCHECK asks the API's /readyz, which a worker does not serve
    assert worker["healthcheck"] == {"disable": True}


def test_api_and_worker_run_the_image_built_from_the_dockerfile(services: dict[str, Any]) -> None:
    api, worker = services["api"], services["worker"]
    build = api["build"]
    context = build if isinstance(build, str) else build.get("context", ".")
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert (COMPOSE_FILE.parent / context).resolve() == REPO
    assert (REPO / context / dockerfile).resolve() == DOCKERFILE
    assert worker["image"] == api["image"], "one image for the API and the workers"
    # the worker takes the image the api service builds, never one from a registry
    assert "build" in worker or worker.get("pull_policy") == "never"


# --------------------------------------------------------------------------- Dockerfile


def dockerfile_stages() -> list[tuple[str | None, list[tuple[str, str]]]]:
    """[(stage name, [(INSTRUCTION, arguments)])], continuation lines joined."""
    lines: list[str] = []
    pending = ""
    for raw in DOCKERFILE.read_text().splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    stages: list[tuple[str | None, list[tuple[str, str]]]] = []
    for line in lines:
        instruction, _, arguments = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            words = arguments.split()
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append((name, []))
        stages[-1][1].append((instruction, arguments.strip()))
    return stages


def exec_form(arguments: str) -> list[str]:
    value = json.loads(arguments)
    assert isinstance(value, list), f"not the exec form: {arguments}"
    return [str(v) for v in value]


def test_image_serves_the_api_without_a_worker(services: dict[str, Any]) -> None:
    _, final = dockerfile_stages()[-1]
    assert not [a for i, a in final if i == "ENTRYPOINT"]
    command = exec_form([a for i, a in final if i == "CMD"][-1])
    assert command[:2] == ["docent", "serve"] and "--no-worker" in command, command
    host = command[command.index("--host") + 1]
    port = command[command.index("--port") + 1]
    assert [a for i, a in final if i == "EXPOSE"] == [port]
    assert ("127.0.0.1", port) in published_ports(services["api"])
    # 0.0.0.0 with DOCENT_AUTH=none: allowed only because the port is published on the
    # loopback (test_every_published_port_is_on_the_loopback) and compose says so
    assert host == "0.0.0.0"
    health = " ".join(a for i, a in final if i == "HEALTHCHECK")
    assert f"127.0.0.1:{port}/readyz" in health


def test_image_installs_the_no_deps_requirements() -> None:
    _, final = dockerfile_stages()[-1]
    installs = [shlex.split(a) for i, a in final if i == "RUN" and "pip install" in a]
    no_deps = [
        words for words in installs if "--no-deps" in words and "requirements/no-deps.txt" in words
    ]
    assert no_deps, "requirements/no-deps.txt is not installed with --no-deps"
    assert no_deps[0][no_deps[0].index("requirements/no-deps.txt") - 1] == "-r"
    assert (REPO / "requirements" / "no-deps.txt").is_file()


def test_image_fetches_graphiql_at_build_time() -> None:
    stages = dockerfile_stages()
    fetching = [
        name
        for name, instructions in stages[:-1]
        if any(i == "RUN" and "fetch_graphiql_assets.py" in a for i, a in instructions)
    ]
    assert fetching and fetching[0], "no build stage runs scripts/fetch_graphiql_assets.py"
    _, final = stages[-1]
    copies = [a.split() for i, a in final if i == "COPY" and a.startswith(f"--from={fetching[0]}")]
    assert any(words[-1] == "api/static/graphiql" for words in copies), copies
    # fetched, never committed
    assert "api/static/" in (REPO / ".gitignore").read_text().splitlines()
    if (REPO / ".git").exists() and shutil.which("git"):
        tracked = subprocess.run(
            ["git", "ls-files", "api/static"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout
        assert not tracked.strip(), tracked


def test_image_copies_the_package_and_nothing_else() -> None:
    """No `COPY .`: the working tree's .env (keys), data/ (uploads) and .git stay out."""
    _, final = dockerfile_stages()[-1]
    sources: set[str] = set()
    for instruction, arguments in final:
        if instruction in ("COPY", "ADD") and not arguments.startswith("--from="):
            words = [w for w in arguments.split() if not w.startswith("--")]
            sources.update(w.rstrip("/") for w in words[:-1])
    assert not sources & {".", "./", "*"}, sources
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    needed = {package.split(".")[1] for package in setuptools["packages"] if "." in package}
    needed |= {"pyproject.toml", "README.md", "*.py"}
    needed |= set(setuptools["package-data"]["docent"])
    assert needed <= sources, f"the image lacks {needed - sources}"
