"""A private, throwaway CUPS scheduler for the tests: ``with CupsServer() as cups: ...``.

It runs the system's ``cupsd`` (Debian package ``cups``; ``lpr`` is in ``cups-bsd``) in
the foreground with its own configuration, spool, state and logs in a fresh temporary
directory, listening only on a Unix domain socket in that directory: no TCP port, no
browsing, no web interface, nothing written under /etc, /var or /run. Several of them
can run side by side (pytest-xdist workers).

Clients reach it through ``CUPS_SERVER=<socket>``; ``cups.env`` holds that environment
and ``cups.run(...)`` runs a CUPS command (lpadmin, cupsdisable, lpstat...) with it.
Set it in the tests' own process only (``monkeypatch.setenv``), never globally.

cupsd is stopped (SIGTERM, then SIGKILL) by ``stop()``/``__exit__``, and the kernel
kills it too if the process that started it dies (PR_SET_PDEATHSIG), so a crashed or
killed test run leaves no scheduler behind.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

INSTALL_HINT = "apt-get install -y --no-install-recommends cups cups-bsd"
_SBIN = ("/usr/sbin", "/sbin", "/usr/local/sbin")
_PR_SET_PDEATHSIG = 1


def cups_tool(name: str) -> str:
    """The path of a CUPS program; fails the test (never skips) when it is missing."""
    path = os.pathsep.join([os.environ.get("PATH", ""), *_SBIN])
    found = shutil.which(name, path=path)
    if found is None:
        pytest.fail(
            f"{name} is not installed: the cups:// tests need a real CUPS. "
            f"Run `{INSTALL_HINT}` (as root).",
            pytrace=False,
        )
    return found


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL when the starting thread's process dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class CupsServer:
    """One private cupsd; ``start()`` returns once it answers on its socket."""

    def __init__(self, start_timeout: float = 10.0) -> None:
        self.start_timeout = start_timeout
        self.cupsd = cups_tool("cupsd")
        for tool in ("lpr", "lpstat", "lpadmin", "cupsdisable"):
            cups_tool(tool)
        # Not pytest's tmp_path: backends run as user lp and must reach the spool,
        # and a Unix socket path must stay under 108 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="wms-cups-"))
        self.root.chmod(0o755)
        self.socket = self.root / "cups.sock"
        self.log = self.root / "log" / "error_log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        """The environment variables that point CUPS clients at this server."""
        return {
            "CUPS_SERVER": str(self.socket),
            "CUPS_USER": "root",
            "CUPS_ENCRYPTION": "Never",
            "LANG": "C",
        }

    def _configure(self) -> tuple[Path, Path]:
        for sub in ("etc", "etc/ppd", "spool", "spool/tmp", "cache", "state", "log"):
            (self.root / sub).mkdir(mode=0o755, exist_ok=True)
        # Backends (socket://, as user lp) get the spooled file path: let lp read it.
        (self.root / "spool").chmod(0o755)
        (self.root / "spool" / "tmp").chmod(0o1777)
        files = self.root / "etc" / "cups-files.conf"
        files.write_text(
            "\n".join(
                [
                    f"ServerRoot {self.root / 'etc'}",
                    f"RequestRoot {self.root / 'spool'}",
                    f"TempDir {self.root / 'spool' / 'tmp'}",
                    f"CacheDir {self.root / 'cache'}",
                    f"StateDir {self.root / 'state'}",
                    f"ErrorLog {self.log}",
                    f"AccessLog {self.root / 'log' / 'access_log'}",
                    f"PageLog {self.root / 'log' / 'page_log'}",
                    f"Printcap {self.root / 'printcap'}",
                    "ServerBin /usr/lib/cups",
                    "DataDir /usr/share/cups",
                    "DocumentRoot /usr/share/cups/doc-root",
                    "User lp",
                    "Group lp",
                    "SystemGroup root",
                    "LogFileGroup root",
                    "FileDevice No",
                    "",
                ]
            )
        )
        conf = self.root / "etc" / "cupsd.conf"
        conf.write_text(
            "\n".join(
                [
                    f"Listen {self.socket}",
                    "LogLevel info",
                    "MaxLogSize 0",
                    "Browsing No",
                    "BrowseLocalProtocols none",
                    "WebInterface No",
                    "DefaultAuthType None",
                    "DefaultEncryption Never",
                    "PreserveJobHistory Yes",
                    "PreserveJobFiles No",
                    "JobRetryInterval 1",
                    "<Location />",
                    "  Order allow,deny",
                    "  Allow all",
                    "</Location>",
                    "<Policy default>",
                    "  JobPrivateAccess default",
                    "  JobPrivateValues default",
                    "  SubscriptionPrivateAccess default",
                    "  SubscriptionPrivateValues default",
                    "  <Limit All>",
                    "    Order allow,deny",
                    "    Allow all",
                    "  </Limit>",
                    "</Policy>",
                    "",
                ]
            )
        )
        return conf, files

    def start(self) -> CupsServer:
        """Start cupsd in the foreground; returns once clients can talk to it."""
        conf, files = self._configure()
        self.process = subprocess.Popen(
            [self.cupsd, "-f", "-c", str(conf), "-s", str(files)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its backends too are signalled through the group
            preexec_fn=_die_with_parent,
        )
        process = self.process
        deadline = time.monotonic() + self.start_timeout
        while not self._answers():
            if process.poll() is not None:
                output = process.stdout.read().decode(errors="replace") if process.stdout else ""
                log = self.log_tail()
                self.stop()
                raise RuntimeError(f"cupsd exited with {process.returncode}: {output}{log}")
            if time.monotonic() > deadline:
                log = self.log_tail()
                self.stop()
                raise RuntimeError(f"cupsd did not answer within {self.start_timeout:g} s{log}")
            time.sleep(0.02)
        return self

    def _answers(self) -> bool:
        if not self.socket.exists():
            return False
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(str(self.socket))
            except OSError:
                return False
        return True

    def stop(self) -> None:
        """Stop cupsd and its children, then remove the directory."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            with _suppress_lookup():
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                with _suppress_lookup():
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        if process is not None and process.stdout is not None:
            process.stdout.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        """The end of cupsd's error log, for failure messages."""
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n--- cupsd error_log ---\n" + "\n".join(text.splitlines()[-lines:])

    def run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a CUPS client program against this server (never the system's)."""
        result = subprocess.run(
            [cups_tool(argv[0]), *argv[1:]],
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, **self.env},
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(argv)} failed ({result.returncode}): {result.stderr.strip()}"
                f"{self.log_tail()}"
            )
        return result

    def add_raw_queue(self, name: str, device_uri: str) -> None:
        """A raw queue (no PPD, no filter: bytes go to the device as they are), enabled
        and accepting jobs, as one sets up a Zebra on a print server."""
        self.run("lpadmin", "-p", name, "-v", device_uri, "-E")

    def remove_queue(self, name: str) -> None:
        """Delete a queue and its jobs."""
        self.run("cancel", "-a", "-x", name, check=False)
        self.run("lpadmin", "-x", name, check=False)

    def active_jobs(self, queue: str) -> list[str]:
        """Ids of the queue's jobs not finished yet (pending, held or printing)."""
        out = self.run("lpstat", "-W", "not-completed", "-o", queue).stdout
        return [line.split()[0] for line in out.splitlines() if line.strip()]

    def completed_jobs(self, queue: str) -> list[str]:
        """Ids of the queue's finished jobs (the history is kept)."""
        out = self.run("lpstat", "-W", "completed", "-o", queue).stdout
        return [line.split()[0] for line in out.splitlines() if line.strip()]

    def wait_until_done(self, queue: str, count: int, timeout: float = 10.0) -> list[str]:
        """Wait until ``count`` jobs of the queue completed and none is left active."""
        deadline = time.monotonic() + timeout
        while True:
            done = self.completed_jobs(queue)
            if len(done) >= count and not self.active_jobs(queue):
                return done
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{queue}: {len(done)} of {count} jobs completed, "
                    f"active: {self.active_jobs(queue)}{self.log_tail()}"
                )
            time.sleep(0.05)

    def __enter__(self) -> CupsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _suppress_lookup:
    """Ignore ProcessLookupError (the process ended meanwhile)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> bool:
        return kind is not None and issubclass(kind, ProcessLookupError)
