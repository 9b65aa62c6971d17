"""Runs a real WMS server on loopback: in a thread, or as separate processes (tests, benches)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

import httpx
import uvicorn

from wms.app import create_app
from wms.config import KEEP_ALIVE_S, Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening_socket(port: int = 0) -> socket.socket:
    """A loopback socket bound and listening: its port is ours from this moment on.

    Choosing a free port and binding it later leaves a gap in which a server started by a
    parallel test can take the same port, and its clients then talk to the wrong server.
    """
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(2048)
    return sock


def wait_until_up(
    url: str, timeout_s: float = 60.0, proc: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server for {url} exited with code {proc.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"server at {url} did not come up")
        time.sleep(0.05)


@dataclass
class ThreadServer:
    """The app under uvicorn in a daemon thread with its own event loop."""

    database_url: str
    port: int = 0
    run_workers: bool = True
    _server: uvicorn.Server | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ThreadServer:
        sock = listening_socket(self.port)
        self.port = sock.getsockname()[1]
        settings = Settings.from_env(
            database_url=self.database_url, port=self.port, run_workers=self.run_workers
        )
        config = uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            timeout_keep_alive=KEEP_ALIVE_S,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        wait_until_up(self.url)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> ThreadServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class ProcessWorker:
    """`wms worker` in a child process: the outbox beside servers that run without one."""

    database_url: str
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> ProcessWorker:
        env = dict(os.environ, WMS_DATABASE_URL=self.database_url)
        self._proc = subprocess.Popen([sys.executable, "-m", "wms.cli", "worker"], env=env)
        return self

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()

    def __enter__(self) -> ProcessWorker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class ProcessServer:
    """`wms serve` in a child process: what production runs, several at once on PostgreSQL."""

    database_url: str
    port: int = 0
    run_workers: bool = True
    module: str = "wms.cli"  # what `python -m` runs with `serve` (the crash tests' own)
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        """kill -9: no shutdown, nothing flushed; `start` brings it back on the same port."""
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait(timeout=10)

    def exited(self, timeout_s: float) -> int | None:
        """The exit code once the process has ended (within `timeout_s`), else None."""
        if self._proc is None:
            return None
        try:
            return self._proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return None

    def start(self) -> ProcessServer:
        with listening_socket(self.port) as sock:
            self.port = sock.getsockname()[1]
            env = dict(
                os.environ,
                WMS_DATABASE_URL=self.database_url,
                WMS_PORT=str(self.port),
                WMS_RUN_WORKERS="1" if self.run_workers else "0",
                WMS_LISTEN_FD=str(sock.fileno()),
            )
            self._proc = subprocess.Popen(
                [sys.executable, "-m", self.module, "serve"], env=env, pass_fds=(sock.fileno(),)
            )
        wait_until_up(self.url, proc=self._proc)
        return self

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()

    def __enter__(self) -> ProcessServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
