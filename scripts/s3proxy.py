#!/usr/bin/env python3
"""A real, throwaway S3-compatible server (S3Proxy) for docent's tests and developers (stdlib
only).

    scripts/s3proxy.py fetch
    scripts/s3proxy.py start [--dir DIR] [--port P] [--timeout S] [--owner-pid PID]
    scripts/s3proxy.py stop --dir DIR [--pid PID] [--timeout S]
    scripts/s3proxy.py run [start options] -- CMD [ARG...]

S3Proxy (Apache-2.0, https://github.com/gaul/s3proxy) is the one jar Maven Central carries as
org.gaul:s3proxy:2.6.0, classifier jar-with-dependencies (41 MB, pinned below with its
SHA-512), fetched once into the cache (DOCENT_S3PROXY_CACHE, default ~/.cache/docent/s3proxy).
It runs on the machine's Java 17 (JAVA_HOME, else `java` on PATH) with jclouds' `filesystem`
backend: buckets are folders under DIR/data.

`start` writes s3proxy.conf into DIR (a new one under the temporary directory unless --dir),
listens on 127.0.0.1:PORT (a free port unless --port) with AWS signatures v2 and v4 and the
fixed test identity below, waits until it answers HTTP, prints one JSON line {"url", "pid",
"dir", "log", "access_key", "secret_key", "region", "seconds_to_ready"} and leaves it
running. Starting again with the same --dir and --port serves the same buckets (the tests stop
and start it to play an outage). `stop` stops it and removes DIR if `start` made it. `run`
starts it, runs CMD with DOCENT_S3_ENDPOINT_URL and the AWS_* variables set, then stops it.

S3Proxy 2.6 answers NotImplemented to the flexible-checksum headers that botocore sends by
default since 2025: clients set request checksum calculation to "when_required" (docent's
default, DOCENT_S3_CHECKSUMS).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from downloads import file_hash, service_cache
from supervise import (
    Failure,
    ServiceDirectory,
    add_lifecycle,
    command_to_run,
    exit_status,
    free_port,
    run_beside,
    stop_process,
    tail,
    watch,
    watch_loop,
)

VERSION = "2.6.0"
ARTIFACT = f"org.gaul:s3proxy:{VERSION}:jar:jar-with-dependencies"
JAR = f"s3proxy-{VERSION}-jar-with-dependencies.jar"
# SHA-512 of the jar as fetched from Maven Central (mvn --strict-checksums checked its SHA-1).
JAR_SHA512 = (
    "87fcb2b4c8e010b6644e527ea40fb12d50bc2157f658b43df9420fe735c1c5c8"
    "11222863ea819e23bd49a7ee3280478648c33132f399067202fa12bf5e5de605"
)
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
ACCESS_KEY = "docent-test"
SECRET_KEY = "docent-test-secret"  # a throwaway server on loopback: not a secret
REGION = "us-east-1"
CONFIG = "s3proxy.conf"
LOG = "s3proxy.log"
DIRECTORY = ServiceDirectory("docent-s3proxy.json", ".docent-s3proxy-created", what="S3Proxy")


def note(message: str) -> None:
    print(f"s3proxy.py: {message}", file=sys.stderr, flush=True)


def cache_dir() -> Path:
    try:
        return service_cache("DOCENT_S3PROXY_CACHE", "~/.cache/docent/s3proxy")
    except ValueError as error:
        raise Failure(str(error)) from None


def fetch() -> Path:
    """The pinned jar, downloaded with Maven into the cache once; its path."""
    jar = cache_dir() / JAR
    if jar.is_file() and file_hash(jar, "sha512").hexdigest() == JAR_SHA512:
        return jar
    mvn = shutil.which("mvn")
    if not mvn:
        raise Failure("mvn (Apache Maven) not found on PATH: it fetches S3Proxy from Maven Central")
    jar.parent.mkdir(parents=True, exist_ok=True)
    note(f"downloading {ARTIFACT} with Maven ...")
    with tempfile.TemporaryDirectory(dir=jar.parent, prefix=".download-") as scratch:
        result = subprocess.run(
            [mvn, "--batch-mode", "--no-transfer-progress", "--strict-checksums",
             f"{DEPENDENCY_PLUGIN}:copy", f"-Dartifact={ARTIFACT}", f"-DoutputDirectory={scratch}"],
            cwd=scratch, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=1800,
        )  # fmt: skip
        got = Path(scratch) / JAR
        if result.returncode != 0 or not got.is_file():
            raise Failure(f"mvn failed (exit {result.returncode}):\n{result.stdout[-2000:]}")
        actual = file_hash(got, "sha512").hexdigest()
        if actual != JAR_SHA512:
            raise Failure(f"{JAR}: SHA-512 {actual}, expected {JAR_SHA512}")
        os.replace(got, jar)
    return jar


def find_java() -> str:
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java or not os.access(java, os.X_OK):
        raise Failure("java not found (JAVA_HOME, PATH): install a Java 17 runtime")
    return java


def answers(url: str) -> bool:
    """Whether an HTTP server answers at `url` (S3Proxy refuses the anonymous request: 403)."""
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False


def start(
    directory: str | None, port: int | None, timeout: float, owner: int | None = None
) -> dict[str, Any]:
    jar = fetch()
    java = find_java()
    work = DIRECTORY.claim(directory, prefix="docent-s3proxy-")
    with DIRECTORY.removed_on_failure(work):
        port = port or free_port()
        (work / "data").mkdir(exist_ok=True)
        url = f"http://127.0.0.1:{port}"
        properties = {
            "s3proxy.endpoint": url,
            "s3proxy.authorization": "aws-v2-or-v4",
            "s3proxy.identity": ACCESS_KEY,
            "s3proxy.credential": SECRET_KEY,
            "jclouds.provider": "filesystem",
            "jclouds.filesystem.basedir": str(work / "data"),
        }
        (work / CONFIG).write_text("".join(f"{k}={v}\n" for k, v in properties.items()))
        started = time.monotonic()
        with (work / LOG).open("ab") as out:
            process = subprocess.Popen(
                [java, "-Xmx256m", "-jar", str(jar), "--properties", str(work / CONFIG)],
                cwd=work, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        try:
            while not answers(url):
                if process.poll() is not None:
                    raise Failure(f"S3Proxy exited with status {process.returncode}:\n"
                                  f"{tail(work / LOG, 30)}")  # fmt: skip
                if time.monotonic() - started > timeout:
                    raise Failure(f"S3Proxy did not answer within {timeout:g} s:\n"
                                  f"{tail(work / LOG, 30)}")  # fmt: skip
                time.sleep(0.1)
        except BaseException:
            if process.poll() is None:
                process.kill()
                process.wait()
            raise
        info = {
            "url": url, "pid": process.pid, "dir": str(work), "log": str(work / LOG),
            "access_key": ACCESS_KEY, "secret_key": SECRET_KEY, "region": REGION,
            "seconds_to_ready": round(time.monotonic() - started, 2),
        }  # fmt: skip
        DIRECTORY.record(work, info)
    if owner is not None:
        watch(__file__, owner, work)
    return info


def stop(pid: int | None, directory: str | None, grace: float, *, keep: bool = False) -> str:
    if not directory:
        raise Failure("stop needs --dir, to tell that the pid is this script's S3Proxy")
    work = Path(directory).resolve()
    if pid is None:
        pid = DIRECTORY.pid(work)
    outcome = stop_process(pid, str(work / CONFIG).encode(), grace, f"not the S3Proxy of {work}")
    return f"S3Proxy pid {pid}: {outcome}{'' if keep else DIRECTORY.remove_if_made(work)}"


def environment(info: dict[str, Any]) -> dict[str, str]:
    """What a docent process needs to use this server (the bucket is the caller's)."""
    return {
        "DOCENT_S3_ENDPOINT_URL": info["url"],
        "AWS_ACCESS_KEY_ID": info["access_key"],
        "AWS_SECRET_ACCESS_KEY": info["secret_key"],
        "AWS_DEFAULT_REGION": info["region"],
    }


def start_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--dir", help="for config, buckets and log (default: a new temporary one)")
    sub.add_argument("--port", type=int, help="TCP port on 127.0.0.1 (default: a free one)")
    sub.add_argument("--timeout", type=float, default=120, help="seconds to wait (default: 120)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="action", required=True)
    commands.add_parser("fetch", help="download the pinned jar into the cache")
    add_lifecycle(commands, "S3Proxy", start_options)
    sub = commands.add_parser("stop", help="stop an S3Proxy started by `start`")
    sub.add_argument("--dir", help="the directory printed by `start`")
    sub.add_argument("--pid", type=int, help="the pid printed by `start`")
    sub.add_argument("--timeout", type=float, default=10, help="seconds before SIGKILL")
    sub.add_argument("--keep", action="store_true", help="keep the directory (to start again)")
    options = parser.parse_args(argv)
    return exit_status(note, lambda: act(options))


def act(options: argparse.Namespace) -> int | None:
    if options.action == "fetch":
        print(fetch())
    elif options.action == "start":
        info = start(options.dir, options.port, options.timeout, options.owner_pid)
        print(json.dumps(info), flush=True)
    elif options.action == "stop":
        note(stop(options.pid, options.dir, options.timeout, keep=options.keep))
    elif options.action == "run":
        command = command_to_run(options.command)
        info = start(options.dir, options.port, options.timeout)
        return run_beside(
            command, info, environment(info), lambda: stop(info["pid"], info["dir"], 10), note
        )
    elif options.action == "_watch":
        watch_loop(
            options.owner, options.directory / DIRECTORY.state_file,
            lambda pid: stop(pid, str(options.directory), grace=10),
        )  # fmt: skip
    return None


if __name__ == "__main__":
    sys.exit(main())
