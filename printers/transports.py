"""Transports carry bytes to a printer: tcp, cups (via zebra), serial, file, memory.

A printer is a URL; ``transport_for_url`` picks the transport:

    tcp://host:9100             raw socket (the Zebra default port is 9100)
    cups://queue                a CUPS queue, raw, through the ``zebra`` package
    serial:///dev/ttyUSB0?baudrate=9600, or any pyserial URL (loop://, socket://, ...)
    file:///dir                 each job becomes dir/000001.zpl, dir/000002.pdf, ...
    memory://name               in-process, for byte-exact tests
"""

from __future__ import annotations

import os
import select
import socket
import subprocess
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from printers.errors import BadPrinterUrl, PrinterTimeout, PrinterUnreachable


class Transport(ABC):
    """One connection to one printer. ``url`` names the printer in every error."""

    url: str
    can_read = False  # whether answers (~HS) come back on this transport
    # Connections opened so far: an answer read on another connection than the one a job
    # went out on says nothing about that job (the transports reconnect on their own).
    connects = 0

    @abstractmethod
    def write(self, data: bytes) -> None:
        """Deliver ``data`` completely, or raise a PrinterError."""

    def read_until(self, done: Callable[[bytes], bool], timeout: float) -> bytes:
        """Read until ``done(buffer)``; PrinterTimeout when it does not come in time."""
        raise PrinterUnreachable(self.url, "this transport cannot read answers")

    def close(self) -> None:  # noqa: B027 - most transports hold nothing open
        """Release the connection; the transport may be used again afterwards."""

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class MemoryTransport(Transport):
    """Keeps what is written; answers with ``responder(data)`` (e.g. a ~HS reply)."""

    can_read = True

    def __init__(
        self, url: str = "memory://", responder: Callable[[bytes], bytes] | None = None
    ) -> None:
        self.url = url
        self.writes: list[bytes] = []
        self.responder = responder
        self._pending = b""

    @property
    def written(self) -> bytes:
        """Everything written so far, concatenated."""
        return b"".join(self.writes)

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))
        if self.responder is not None:
            self._pending += self.responder(bytes(data))

    def read_until(self, done: Callable[[bytes], bool], timeout: float) -> bytes:
        if not done(self._pending):
            raise PrinterTimeout(self.url, f"no answer within {timeout:g} s")
        data, self._pending = self._pending, b""
        return data


class TcpTransport(Transport):
    """Raw TCP (port 9100). The connection is kept between jobs and replaced once
    when the printer closed it meanwhile."""

    can_read = True

    def __init__(
        self,
        host: str,
        port: int = 9100,
        connect_timeout: float = 3.0,
        send_timeout: float = 10.0,
        url: str | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.connect_timeout, self.send_timeout = connect_timeout, send_timeout
        self.url = url or f"tcp://{host}:{port}"
        self._sock: socket.socket | None = None

    def _connect(self) -> socket.socket:
        try:
            sock = socket.create_connection((self.host, self.port), self.connect_timeout)
        except TimeoutError as exc:
            message = f"connect timed out after {self.connect_timeout:g} s"
            raise PrinterTimeout(self.url, message) from exc
        except OSError as exc:
            raise PrinterUnreachable(self.url, f"cannot connect: {exc.strerror or exc}") from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(self.send_timeout)
        self._sock = sock
        self.connects += 1
        return sock

    def _stale(self, sock: socket.socket) -> bool:
        """True when the peer closed an idle connection (readable with EOF or error)."""
        readable, _, _ = select.select([sock], [], [], 0)
        if not readable:
            return False
        try:
            return sock.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def write(self, data: bytes) -> None:
        self._write(data, retry=True)

    def _write(self, data: bytes, retry: bool) -> None:
        sock = self._sock
        reused = sock is not None
        if sock is not None and self._stale(sock):
            self.close()
            sock, reused = None, False
        if sock is None:
            sock = self._connect()
        view = memoryview(data)
        sent = 0
        try:
            # send() may take part of the buffer; loop so a slow printer gets it all,
            # counting bytes so we know whether anything reached it.
            while sent < len(view):
                sent += sock.send(view[sent:])
        except TimeoutError as exc:
            self.close()
            raise PrinterTimeout(
                self.url, f"send timed out after {self.send_timeout:g} s ({sent}/{len(data)} bytes)"
            ) from exc
        except OSError as exc:
            self.close()
            if retry and reused and sent == 0:
                # The kept connection died unnoticed; nothing reached the printer, so one
                # fresh connection cannot print the job twice. Once: then it is real.
                self._connect()
                return self._write(data, retry=False)
            raise PrinterUnreachable(
                self.url, f"connection lost after {sent}/{len(data)} bytes: {exc}"
            ) from exc

    def read_until(self, done: Callable[[bytes], bool], timeout: float) -> bytes:
        sock = self._sock or self._connect()
        buffer = b""
        deadline = time.monotonic() + timeout
        while not done(buffer):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PrinterTimeout(self.url, f"no answer within {timeout:g} s")
            sock.settimeout(remaining)
            try:
                chunk = sock.recv(4096)
            except TimeoutError:
                continue
            except OSError as exc:
                self.close()
                raise PrinterUnreachable(self.url, f"connection lost: {exc}") from exc
            finally:
                if self._sock is not None:
                    sock.settimeout(self.send_timeout)
            if not chunk:
                self.close()
                raise PrinterUnreachable(self.url, "connection closed by the printer")
            buffer += chunk
        return buffer

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None


class SerialTransport(Transport):
    """A serial port through pyserial's ``serial_for_url`` (a device path or any URL)."""

    can_read = True

    def __init__(
        self, port: str, baudrate: int = 9600, write_timeout: float = 10.0, url: str | None = None
    ) -> None:
        self.port, self.baudrate, self.write_timeout = port, baudrate, write_timeout
        self.url = url or port
        self._serial = None

    def _open(self):  # noqa: ANN202 - returns a pyserial object, which has no stub
        if self._serial is None:
            import serial

            try:
                self._serial = serial.serial_for_url(
                    self.port,
                    baudrate=self.baudrate,
                    timeout=0.05,
                    write_timeout=self.write_timeout,
                )
            except (serial.SerialException, OSError, ValueError) as exc:
                raise PrinterUnreachable(self.url, f"cannot open serial port: {exc}") from exc
        return self._serial

    def write(self, data: bytes) -> None:
        import serial

        port = self._open()
        try:
            port.write(data)
            port.flush()
        except serial.SerialTimeoutException as exc:
            message = f"write timed out after {self.write_timeout:g} s"
            raise PrinterTimeout(self.url, message) from exc
        except (serial.SerialException, OSError) as exc:
            self.close()
            raise PrinterUnreachable(self.url, f"serial write failed: {exc}") from exc

    def read_until(self, done: Callable[[bytes], bool], timeout: float) -> bytes:
        import serial

        port = self._open()
        buffer = b""
        deadline = time.monotonic() + timeout
        while not done(buffer):
            if time.monotonic() >= deadline:
                raise PrinterTimeout(self.url, f"no answer within {timeout:g} s")
            try:
                buffer += port.read(max(1, port.in_waiting))
            except (serial.SerialException, OSError) as exc:
                self.close()
                raise PrinterUnreachable(self.url, f"serial read failed: {exc}") from exc
        return buffer

    def close(self) -> None:
        if self._serial is not None:
            try:
                self._serial.close()
            finally:
                self._serial = None


class CupsTransport(Transport):
    """A CUPS queue, raw, through the ``zebra`` package.

    zebra pipes into ``lpr -P queue -oraw`` and ignores lpr's exit status, so the queue
    is checked with ``lpstat`` first and lpr's status is checked on every job.
    """

    def __init__(self, queue: str, url: str | None = None, timeout: float = 30.0) -> None:
        self.queue, self.timeout = queue, timeout
        self.url = url or f"cups://{queue}"
        self._checked = False

    def _check_queue(self) -> None:
        try:
            result = subprocess.run(
                ["lpstat", "-p", self.queue],
                capture_output=True,
                text=True,
                timeout=self.timeout,
                env={**os.environ, "LANG": "C"},
            )
        except FileNotFoundError as exc:
            raise PrinterUnreachable(self.url, "CUPS is not installed (no lpstat)") from exc
        except subprocess.TimeoutExpired as exc:
            raise PrinterTimeout(self.url, "lpstat did not answer") from exc
        # CUPS queue names are case-insensitive: lpstat -p ZEBRA1 answers "printer zebra1".
        named = result.stdout.lower().startswith(f"printer {self.queue.lower()} ")
        if result.returncode != 0 or not named:
            detail = (result.stderr or result.stdout).strip() or "unknown queue"
            raise PrinterUnreachable(self.url, f"no such CUPS queue: {detail}")
        if "disabled" in result.stdout.split("\n", 1)[0]:
            raise PrinterUnreachable(self.url, f"CUPS queue is disabled: {result.stdout.strip()}")
        self._checked = True

    def write(self, data: bytes) -> None:
        if not self._checked:
            self._check_queue()
        zebra = _CheckedZebra(self.queue)
        try:
            zebra.output(data)
        except FileNotFoundError as exc:
            raise PrinterUnreachable(self.url, "CUPS is not installed (no lpr)") from exc
        except subprocess.TimeoutExpired as exc:
            raise PrinterTimeout(self.url, f"lpr did not finish in {self.timeout:g} s") from exc
        if zebra.returncode != 0:
            self._checked = False
            raise PrinterUnreachable(
                self.url, f"lpr failed ({zebra.returncode}): {zebra.stderr.strip()}"
            )


def _zebra_class() -> type:
    from zebra import Zebra

    return Zebra


class _CheckedZebra(_zebra_class()):  # type: ignore[misc]
    """zebra.Zebra whose Unix output keeps lpr's exit status and error text."""

    returncode = 0
    stderr = ""

    def _output_unix(self, commands: bytes) -> None:
        process = subprocess.Popen(
            ["lpr", f"-P{self.queue}", "-oraw"],
            stdin=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        _, err = process.communicate(commands, timeout=30)
        self.returncode = process.returncode
        self.stderr = err.decode("utf-8", "replace")


def _extension(data: bytes) -> str:
    """A document by what it is: a PDF (packing slip) as .pdf, anything else as .zpl."""
    return ".pdf" if data.startswith(b"%PDF-") else ".zpl"


class FileTransport(Transport):
    """Each job written to the next numbered file in a directory: ``.zpl``, or ``.pdf``."""

    def __init__(self, directory: str | Path, url: str | None = None) -> None:
        self.directory = Path(directory)
        self.url = url or f"file://{self.directory}"

    def write(self, data: bytes) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            numbers = [int(p.stem) for p in self.jobs()]
            number = max(numbers, default=0) + 1
            suffix = _extension(data)
            while True:
                path = self.directory / f"{number:06d}{suffix}"
                try:
                    # 'x' mode: two writers never take the same file; a number taken under
                    # the other extension is skipped, so the numbers stay one sequence.
                    if any(self.directory.glob(f"{number:06d}.*")):
                        raise FileExistsError(path)
                    with open(path, "xb") as f:
                        f.write(data)
                    return
                except FileExistsError:
                    number += 1
        except OSError as exc:
            raise PrinterUnreachable(self.url, f"cannot write job: {exc}") from exc

    def jobs(self) -> list[Path]:
        """The job files written so far, in order."""
        found = [*self.directory.glob("*.zpl"), *self.directory.glob("*.pdf")]
        return sorted((p for p in found if p.stem.isdigit()), key=lambda p: p.name)


_PYSERIAL_SCHEMES = {"loop", "socket", "rfc2217", "spy", "hwgrep", "alt"}


def transport_for_url(url: str, timeout: float = 10.0) -> Transport:
    """The transport a printer URL names; BadPrinterUrl when it names none."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise BadPrinterUrl(url, f"cannot parse printer URL: {exc}") from exc
    scheme = parts.scheme.lower()
    query = parse_qs(parts.query)
    if scheme == "tcp":
        if not parts.hostname:
            raise BadPrinterUrl(url, "tcp:// needs a host, e.g. tcp://10.0.0.5:9100")
        try:
            port = parts.port or 9100
        except ValueError as exc:
            raise BadPrinterUrl(url, f"bad port: {exc}") from exc
        connect = float(query.get("connect_timeout", ["3"])[0])
        return TcpTransport(parts.hostname, port, connect, timeout, url=url)
    if scheme == "cups":
        queue = unquote(parts.netloc or parts.path.lstrip("/"))
        if not queue:
            raise BadPrinterUrl(url, "cups:// needs a queue name, e.g. cups://zebra1")
        return CupsTransport(queue, url=url)
    if scheme == "serial":
        if not parts.path:
            raise BadPrinterUrl(url, "serial:// needs a device, e.g. serial:///dev/ttyUSB0")
        try:
            baud = int(query.get("baudrate", ["9600"])[0])
        except ValueError as exc:
            raise BadPrinterUrl(url, "baudrate must be a number") from exc
        return SerialTransport(unquote(parts.path), baud, timeout, url=url)
    if scheme in _PYSERIAL_SCHEMES:
        return SerialTransport(url, 9600, timeout, url=url)
    if scheme == "file":
        if not parts.path:
            raise BadPrinterUrl(url, "file:// needs a directory, e.g. file:///var/labels")
        return FileTransport(unquote(parts.path), url=url)
    if scheme == "memory":
        return MemoryTransport(url)
    raise BadPrinterUrl(url, f"unknown printer URL scheme {parts.scheme!r}")
