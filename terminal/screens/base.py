"""The frame of every flow screen: status line, next action, one input line, function keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Digits

from terminal.client import ApiError
from terminal.flows.base import Leave, NoteOnline, Refusal, Say, ShowProblem, Submit
from terminal.widgets.panels import Banner, Hint, KeyBar, StatusLine
from terminal.widgets.scan_input import ScanInput

if TYPE_CHECKING:
    from terminal.app import TerminalApp


class FlowScreen(Screen[None]):
    """Subclasses fill `body()`, answer `handle_scan()` and list their keys in KEYS."""

    KEYS = "F1 Help F4 Back"
    HELP = "Scan or type, then Enter."
    BINDINGS = [
        Binding("f1", "help", "Help", priority=True),
        Binding("f4", "back", "Back", priority=True),
    ]
    DEFAULT_CSS = """
    FlowScreen #step { height: 1; text-style: bold; }
    FlowScreen #main { height: 1fr; }
    FlowScreen Digits { width: auto; }
    """

    @property
    def terminal(self) -> TerminalApp:
        return cast("TerminalApp", self.app)

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        with VerticalScroll(id="main"):
            yield from self.body()
        yield ScanInput(id="scan", placeholder=">")
        yield KeyBar(self.KEYS, id="keys")

    def body(self) -> ComposeResult:
        yield Hint("", id="step")
        yield Banner("", id="banner")
        yield Hint("", id="info")

    def on_mount(self) -> None:
        self.terminal.refresh_status()
        self.query_one(ScanInput).focus()

    def on_screen_resume(self) -> None:
        self.terminal.refresh_status()
        self.query_one(ScanInput).focus()

    def say(self, step: str, banner: str, info: str = "") -> None:
        """Show the next action: `banner` is the thing to do, big; `step` and `info` around it."""
        self.query_one("#step", Hint).update(step)
        self.query_one("#banner", Banner).update(banner)
        self.query_one("#info", Hint).update(info)

    async def on_scan_input_scanned(self, event: ScanInput.Scanned) -> None:
        await self.handle_scan(event.code)

    async def handle_scan(self, code: str) -> None:
        """A scan or typed entry arrived (keyboard wedge or serial scanner)."""

    def problem(self, title: str, expected: str = "", detail: str = "") -> None:
        self.terminal.show_problem(title, expected, detail)

    def api_problem(self, err: ApiError) -> None:
        """A server's refusal: its short title, expected value, and the detail when it adds."""
        detail = err.detail if err.detail and err.detail != err.title else ""
        self.terminal.show_problem(err.title, err.expected or "", detail)

    async def perform(self, command: object) -> None:
        """Run one of the commands every flow shares; a flow's own are its screen's."""
        if isinstance(command, Submit):
            await self.terminal.submit(command.path, dict(command.body), command.label)
        elif isinstance(command, ShowProblem):
            self.problem(command.title, command.expected, command.detail)
        elif isinstance(command, Say):
            self.say(command.step, command.banner, command.info)
            if command.digits is not None:
                self.query_one("#digits", Digits).update(command.digits)
        elif isinstance(command, NoteOnline):
            self.terminal.note_offline(not command.online)
        elif isinstance(command, Leave):
            self.dismiss(None)
        else:
            raise TypeError(f"{type(self).__name__} cannot run {command!r}")

    def action_help(self) -> None:
        self.terminal.show_help(self.HELP + "\n" + self.KEYS)

    def action_back(self) -> None:
        self.dismiss(None)

    @staticmethod
    def refusal(err: ApiError) -> Refusal:
        """The server's problem as a flow takes it."""
        return Refusal(err.code, err.title, err.expected or "", err.detail)

    def journal_flushed(self, answers: list[Any], rejected: bool) -> None:
        """Steps this terminal journaled have reached the server (answers in order)."""
