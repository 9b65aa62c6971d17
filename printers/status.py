"""The ~HS host status: three STX..ETX frames parsed into a PrinterStatus."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

HS_QUERY = b"~HS"
STX, ETX = b"\x02", b"\x03"
_FRAME = re.compile(rb"\x02([^\x02\x03]*)\x03")


@dataclass(frozen=True)
class PrinterStatus:
    """What a Zebra printer says about itself in answer to ~HS."""

    paper_out: bool = False
    paused: bool = False
    label_length: int = 0
    formats_in_buffer: int = 0
    buffer_full: bool = False
    diagnostic_mode: bool = False
    partial_format: bool = False
    corrupt_ram: bool = False
    under_temperature: bool = False
    over_temperature: bool = False
    head_open: bool = False
    ribbon_out: bool = False
    thermal_transfer: bool = False
    print_mode: int = 0
    label_waiting: bool = False
    labels_remaining: int = 0
    graphics_stored: int = 0

    # Conditions that stop printing, in the words a packer sees on the terminal.
    _FAULTS = (
        ("paper_out", "paper out"),
        ("head_open", "head open"),
        ("ribbon_out", "ribbon out"),
        ("paused", "paused"),
        ("buffer_full", "buffer full"),
        ("over_temperature", "over temperature"),
        ("under_temperature", "under temperature"),
        ("corrupt_ram", "corrupt RAM"),
    )

    @property
    def faults(self) -> list[str]:
        """Every condition that keeps the printer from printing, empty when ready."""
        return [text for attr, text in self._FAULTS if getattr(self, attr)]

    @property
    def ready(self) -> bool:
        """True when nothing stops the printer."""
        return not self.faults


def hs_complete(buffer: bytes) -> bool:
    """True once ``buffer`` holds the three frames of a ~HS answer."""
    return buffer.count(ETX) >= 3


def parse_host_status(raw: bytes) -> PrinterStatus:
    """Parse the three ~HS frames; ValueError when they are not there or malformed."""
    frames = [f.decode("ascii", "replace").split(",") for f in _FRAME.findall(raw)]
    if len(frames) < 3 or len(frames[0]) < 12 or len(frames[1]) < 11:
        raise ValueError(f"not a ~HS answer: {raw[:80]!r}")
    a, b = frames[0], frames[1]

    def flag(value: str) -> bool:
        return value.strip() == "1"

    try:
        return PrinterStatus(
            paper_out=flag(a[1]),
            paused=flag(a[2]),
            label_length=int(a[3]),
            formats_in_buffer=int(a[4]),
            buffer_full=flag(a[5]),
            diagnostic_mode=flag(a[6]),
            partial_format=flag(a[7]),
            corrupt_ram=flag(a[9]),
            under_temperature=flag(a[10]),
            over_temperature=flag(a[11]),
            head_open=flag(b[2]),
            ribbon_out=flag(b[3]),
            thermal_transfer=flag(b[4]),
            print_mode=int(b[5]),
            label_waiting=flag(b[7]),
            labels_remaining=int(b[8]),
            graphics_stored=int(b[10]),
        )
    except ValueError as exc:
        raise ValueError(f"malformed ~HS answer: {raw[:80]!r}") from exc


def format_host_status(s: PrinterStatus, interface: int = 30) -> bytes:
    """The ~HS answer a printer in state ``s`` sends (used by the simulator)."""

    def b(value: bool) -> str:
        return "1" if value else "0"

    line1 = (
        f"{interface:03d},{b(s.paper_out)},{b(s.paused)},{s.label_length:04d},"
        f"{s.formats_in_buffer:03d},{b(s.buffer_full)},{b(s.diagnostic_mode)},"
        f"{b(s.partial_format)},000,{b(s.corrupt_ram)},{b(s.under_temperature)},"
        f"{b(s.over_temperature)}"
    )
    line2 = (
        f"001,0,{b(s.head_open)},{b(s.ribbon_out)},{b(s.thermal_transfer)},{s.print_mode},"
        f"0,{b(s.label_waiting)},{s.labels_remaining:08d},1,{s.graphics_stored:03d}"
    )
    line3 = "1234,0"
    return b"".join(STX + line.encode("ascii") + ETX + b"\r\n" for line in (line1, line2, line3))


STATUS_FIELDS = tuple(f.name for f in fields(PrinterStatus))
