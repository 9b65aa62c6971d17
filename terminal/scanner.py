"""Scanner input: keyboard wedge (the default, handled by ScanInput) or any pyserial URL.

A serial scanner sends one code per line (CR, LF or CRLF). Codes may contain the GS1 group
separator (ASCII 29), which is kept: the server's resolver needs it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import serial

_SERIAL_OPTIONS = {"baudrate": int, "bytesize": int, "timeout": float, "parity": str}


def open_port(url: str, timeout: float = 0.2) -> serial.SerialBase:
    """`serial:///dev/ttyACM0?baudrate=9600` → the device; other URLs go to serial_for_url as is."""
    parts = urlsplit(url)
    if parts.scheme == "serial":
        options: dict[str, Any] = {"timeout": timeout}
        for name, value in parse_qsl(parts.query):
            if name in _SERIAL_OPTIONS:
                options[name] = _SERIAL_OPTIONS[name](value)
        return serial.serial_for_url(parts.path, **options)
    if not parts.scheme:  # a bare device path
        return serial.serial_for_url(url, timeout=timeout)
    return serial.serial_for_url(url, timeout=timeout)


class LineSplitter:
    """Bytes in, complete codes out; a code ends at CR or LF, empty lines are ignored."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> list[str]:
        self._buffer += data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        *lines, self._buffer = self._buffer.split(b"\n")
        return [s for line in lines if (s := line.decode("utf-8", "replace").strip(" \t"))]


class SerialScanner:
    """Reads codes from a serial port in a thread and hands each to `on_code`."""

    def __init__(
        self, url: str, on_code: Callable[[str], None], port: serial.SerialBase | None = None
    ) -> None:
        self.url = url
        self.on_code = on_code
        self.port = port
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> SerialScanner:
        if self.port is None:
            self.port = open_port(self.url)
        self._thread = threading.Thread(target=self._run, name="scanner", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self.port is not None:
            self.port.close()

    def _run(self) -> None:
        assert self.port is not None
        splitter = LineSplitter()
        while not self._stop.is_set():
            try:
                data = self.port.read(self.port.in_waiting or 1)
            except (serial.SerialException, OSError, TypeError, AttributeError):
                break  # port closed under us: stop quietly
            for code in splitter.feed(data):
                self.on_code(code)


def read_weight_g(url: str, timeout: float = 2.0) -> int | None:
    """One reading from a serial scale that prints lines like `0.812 kg` or `812 g`."""
    port = open_port(url, timeout=timeout)
    try:
        port.write(b"W\r\n")  # the common "send weight" request; scales that stream ignore it
        line = port.readline().decode("ascii", "replace")
    finally:
        port.close()
    return parse_weight_g(line)


def parse_weight_g(line: str) -> int | None:
    text = line.strip().lower()
    match = re.search(r"-?\d+(?:[.,]\d+)?", text)
    if match is None:
        return None
    value = float(match.group().replace(",", "."))
    if "kg" in text:
        value *= 1000
    elif "lb" in text:
        value *= 453.592
    return round(value)
