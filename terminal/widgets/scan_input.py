"""The one input line of every screen: keyboard-wedge scans and keypad entries end in Enter."""

from __future__ import annotations

from textual import on
from textual.message import Message
from textual.widgets import Input


class ScanInput(Input):
    """Posts `Scanned` with the code (whitespace trimmed, GS separators kept) on Enter."""

    DEFAULT_CSS = """
    ScanInput { border: none; height: 1; padding: 0 0; background: $boost; }
    ScanInput:focus { border: none; background: $primary 30%; }
    """

    class Scanned(Message):
        """A complete scan or typed entry (may be empty: Enter alone accepts a default)."""

        def __init__(self, code: str) -> None:
            super().__init__()
            self.code = code

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        code = event.value.strip(" \t\r\n")
        self.value = ""
        self.post_message(self.Scanned(code))
