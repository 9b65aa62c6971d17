"""Log in: scan the badge, type the PIN."""

from __future__ import annotations

from textual import work

from terminal.client import ApiError, Offline
from terminal.screens.base import FlowScreen
from terminal.widgets.scan_input import ScanInput


class LoginScreen(FlowScreen):
    """The bottom of the screen stack: logging out comes back here."""

    KEYS = "F1 Help F4 Back"
    HELP = "Scan your badge, then type your PIN and Enter."

    def __init__(self) -> None:
        super().__init__()
        self.badge = ""

    def on_mount(self) -> None:
        super().on_mount()
        self.ask_badge()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.ask_badge()

    def ask_badge(self) -> None:
        self.badge = ""
        self.query_one(ScanInput).password = False
        self.say("Log in", "SCAN BADGE", "then type PIN")

    async def handle_scan(self, code: str) -> None:
        if not code:
            return
        if not self.badge:
            self.badge = code
            self.query_one(ScanInput).password = True
            self.say(f"Badge {code}", "TYPE PIN", "then Enter")
            return
        self.log_in(self.badge, code)

    @work(exclusive=True)
    async def log_in(self, badge: str, pin: str) -> None:
        from terminal.screens.menu import MenuScreen

        try:
            answer = await self.terminal.client.login(badge, pin)
        except Offline:
            self.terminal.note_offline(True)
            self.ask_badge()
            self.problem("Server unreachable", "", "Try again when online")
            return
        except ApiError as err:
            self.ask_badge()
            self.api_problem(err)
            return
        self.terminal.note_offline(False)
        await self.terminal.signed_in(answer)
        if self.terminal.screen_stack.index(self) > 1:
            self.dismiss(None)  # the session had ended mid-flow: back to where the user was
        else:
            self.terminal.push_screen(MenuScreen())

    def action_back(self) -> None:
        self.ask_badge()
