"""The wrong-scan screen: unmistakable, rings the bell, shows the expected value, needs Enter."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class ErrorScreen(ModalScreen[None]):
    """Shown for every rejected scan or step; only Enter (or F4/Esc) lets the user go on."""

    MARK = "! "

    DEFAULT_CSS = """
    ErrorScreen { align: center middle; background: $error 40%; }
    ErrorScreen > Vertical { width: 100%; height: 100%; background: $error; color: white;
                             padding: 0 0; }
    ErrorScreen #title { text-style: bold reverse; width: 100%; content-align: center middle; }
    ErrorScreen #expected-label { margin-top: 1; }
    ErrorScreen #expected { text-style: bold; background: white; color: black; width: 100%; }
    ErrorScreen #ack { dock: bottom; text-style: bold; }
    """

    def __init__(self, title: str, expected: str = "", detail: str = "") -> None:
        super().__init__()
        self.problem_title, self.expected, self.detail = title, expected, detail
        self._typed = False  # characters since the last Enter: that Enter ends a scan

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.MARK + self.problem_title, id="title")
            if self.detail:
                yield Static(self.detail, id="detail")
            if self.expected:
                yield Static("Expected:", id="expected-label")
                yield Static(self.expected, id="expected")
            yield Static("Enter = OK", id="ack")

    def on_mount(self) -> None:
        self.app.bell()

    def handle_scan(self, code: str) -> None:
        # A scan is not an acknowledgement: the picker must read the screen first.
        self.app.bell()

    def on_key(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()
        if event.key in ("escape", "f4"):
            self.dismiss(None)
        elif event.key == "enter":
            if self._typed:  # a keyboard-wedge scan ends in Enter too; it must not pass
                self._typed = False
                self.handle_scan("")
            else:
                self.dismiss(None)
        elif event.is_printable:
            self._typed = True

    def action_acknowledge(self) -> None:
        self.dismiss(None)


class NoticeScreen(ErrorScreen):
    """Help and notices: same shape as the error screen, calm colours, no bell."""

    MARK = ""

    DEFAULT_CSS = """
    NoticeScreen > Vertical { background: $panel; color: $text; }
    """

    def on_mount(self) -> None:
        pass
