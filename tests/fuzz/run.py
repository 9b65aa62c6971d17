"""The API fuzz run of CI: schemathesis against a real server on a fresh demo database.

Twice, with a supervisor's token and with none, every operation of /schema/openapi.json
gets boundary values (the coverage phase) and random ones (fuzzing), a bounded number per
operation. It passes when no answer is a 5xx, every answer has a documented status, content
type and shape, every 4xx is a problem with a stable code (hooks.py), and `wms check` finds
the invariants intact afterwards.

    .venv/bin/python -m tests.fuzz.run [--max-examples N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.api import login
from tests.support.databases import new_sqlite
from wms.config import ROOT
from wms.loopback import ProcessServer

CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "problem_json_with_a_stable_code",
    )
)
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def fuzz(url: str, token: str | None, max_examples: int, seed: int, folder: str) -> int:
    """One schemathesis run; its exit code (0: every check held)."""
    command = [
        str(SCHEMATHESIS),
        "run",
        f"{url}/schema/openapi.json",
        "--checks",
        CHECKS,
        "--phases",
        "coverage,fuzzing",
        "--max-examples",
        str(max_examples),
        "--seed",
        str(seed),
        # One worker: hypothesis describes its strategies with ast.parse, which CPython 3.11
        # does not guard across threads (a "recursion depth mismatch" SystemError).
        "--workers",
        "1",
        "--no-shrink",
        "--warnings",
        "off",
        "--request-timeout",
        "30",
    ]
    if token:
        # A logout with the run's own token would leave the rest of the run unauthenticated.
        command += ["-H", f"Authorization: Bearer {token}", "--exclude-path", "/api/v1/auth/logout"]
    env = dict(os.environ, SCHEMATHESIS_HOOKS="tests.fuzz.hooks", PYTHONPATH=str(ROOT))
    started = time.monotonic()
    done = subprocess.run(command, env=env, cwd=folder)  # its cache stays out of the tree
    who = "supervisor" if token else "no token"
    print(f"fuzz ({who}): exit {done.returncode} in {time.monotonic() - started:.0f} s", flush=True)
    return done.returncode


def check(database_url: str) -> int:
    env = dict(os.environ, WMS_DATABASE_URL=database_url)
    return subprocess.run([sys.executable, "-m", "wms.cli", "check"], env=env).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="wms-fuzz-") as folder:
        database_url = new_sqlite(Path(folder))
        with ProcessServer(database_url) as server:
            token = login(server.url, "supervisor")
            failed = fuzz(server.url, token, args.max_examples, args.seed, folder)
            failed |= fuzz(server.url, None, args.max_examples, args.seed, folder)
        failed |= check(database_url)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
