"""A Printer: a transport plus the ZPL conversation (status checks, delivery)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from printers.errors import PrinterFault, PrinterProtocolError, PrinterSilent, PrinterTimeout
from printers.status import HS_QUERY, PrinterStatus, hs_complete, parse_host_status
from printers.transports import Transport, transport_for_url


class Printer:
    """Send labels to one printer: ``Printer(transport=TcpTransport(...))``."""

    def __init__(self, transport: Transport, status_timeout: float = 2.0) -> None:
        self.transport = transport
        self.status_timeout = status_timeout

    @property
    def url(self) -> str:
        """The printer's URL, as errors name it."""
        return self.transport.url

    @property
    def can_report_status(self) -> bool:
        """False for cups:// and file://, which cannot read an answer back."""
        return self.transport.can_read

    def send(self, data: bytes) -> None:
        """Write raw bytes (ZPL) to the printer, nothing else."""
        self.transport.write(data)

    def status(self) -> PrinterStatus:
        """Ask ~HS and parse the answer; silence within the timeout raises PrinterSilent."""
        self.transport.write(HS_QUERY)
        try:
            raw = self.transport.read_until(hs_complete, self.status_timeout)
        except PrinterTimeout as exc:
            # Zebra firmware stays mute when out of media or with the head open. Drop the
            # connection too: a late answer must not be read as the next query's.
            self.transport.close()
            raise PrinterSilent(self.url, self.status_timeout) from exc
        try:
            return parse_host_status(raw)
        except ValueError as exc:
            raise PrinterProtocolError(self.url, str(exc)) from exc

    def check(self) -> PrinterStatus:
        """The status, or PrinterFault naming what stops the printer."""
        status = self.status()
        if status.faults:
            raise PrinterFault(self.url, status.faults, status)
        return status

    def print(self, labels: bytes | Iterable[bytes], check: bool = True) -> PrinterStatus | None:
        """Print one job (ZPL bytes, or several labels sent as one write).

        With ``check`` and a transport that reads answers, the printer is asked before
        (a faulty printer would keep the job and print it later, maybe after a reprint:
        a double label) and after (the answer acknowledges that the job arrived).
        Returns the status after the job, None when the transport cannot tell.
        """
        data = labels if isinstance(labels, bytes | bytearray) else b"".join(labels)
        if not (check and self.can_report_status):
            self.transport.write(data)
            return None
        self.check()
        self.transport.write(data)
        after = self.status()
        if after.faults:
            raise PrinterFault(self.url, after.faults, after)
        return after

    def close(self) -> None:
        """Close the connection."""
        self.transport.close()

    def __enter__(self) -> Printer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_printer(url: str, timeout: float = 10.0, status_timeout: float = 2.0) -> Printer:
    """A Printer for a URL such as ``tcp://10.0.0.5:9100`` or ``cups://zebra1``."""
    return Printer(transport_for_url(url, timeout=timeout), status_timeout=status_timeout)


def print_label(
    url: str, zpl: bytes, check: bool = True, timeout: float = 10.0, status_timeout: float = 2.0
) -> PrinterStatus | None:
    """One-shot: open the printer at ``url``, print ``zpl`` (checked), close."""
    with open_printer(url, timeout=timeout, status_timeout=status_timeout) as printer:
        return printer.print(zpl, check=check)


async def print_label_async(
    url: str, zpl: bytes, check: bool = True, timeout: float = 10.0, status_timeout: float = 2.0
) -> PrinterStatus | None:
    """``print_label`` for async callers (the server): the blocking I/O runs in a thread."""
    return await asyncio.to_thread(print_label, url, zpl, check, timeout, status_timeout)
