"""Typed printer errors; every one names the printer it is about.

The tree::

    PrinterError                  base class, ``.printer`` is the printer URL or name
    ├── BadPrinterUrl             the URL cannot be parsed or names an unknown scheme
    ├── PrinterUnreachable        cannot connect / open the device / queue does not exist
    ├── PrinterTimeout            connected, but a send or an answer took too long
    ├── PrinterFault              the printer answered and says it cannot print
    │                             (``.status`` holds the parsed PrinterStatus, ``.reasons``
    │                             the faults, e.g. ["paper out", "head open"])
    │   └── PrinterSilent         no status answer within the timeout: treated as a fault,
    │                             since Zebra firmware stays mute when out of media
    └── PrinterProtocolError      the printer answered something that is not a ~HS reply
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from printers.status import PrinterStatus


class PrinterError(Exception):
    """Base of all printer errors; ``printer`` names the printer in every message."""

    def __init__(self, printer: str, message: str) -> None:
        super().__init__(f"{printer}: {message}")
        self.printer = printer
        self.message = message


class BadPrinterUrl(PrinterError, ValueError):
    """The printer URL cannot be used."""


class PrinterUnreachable(PrinterError):
    """The printer cannot be reached (connection refused, no device, no queue)."""


class PrinterTimeout(PrinterError):
    """A connect, send or read took longer than its timeout."""


class PrinterProtocolError(PrinterError):
    """The printer answered with something we cannot parse."""


class PrinterFault(PrinterError):
    """The printer reports a condition that stops printing (paper out, head open...)."""

    def __init__(
        self,
        printer: str,
        reasons: list[str],
        status: PrinterStatus | None = None,
    ) -> None:
        super().__init__(printer, "fault: " + ", ".join(reasons))
        self.reasons = reasons
        self.status = status


class PrinterSilent(PrinterFault, PrinterTimeout):
    """No answer to ~HS in time: out of media, head open or off — a fault, not 'ready'."""

    def __init__(self, printer: str, timeout: float) -> None:
        PrinterFault.__init__(self, printer, [f"no status answer within {timeout:g} s"])
        self.timeout = timeout
