"""The menu: one number per flow, so the numeric keypad alone reaches everything."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding

from terminal.screens.base import FlowScreen
from terminal.widgets.panels import Hint


class MenuScreen(FlowScreen):
    """Choose a flow by its number, then Enter."""

    KEYS = "F1 Help F9 Log out"
    HELP = "Press the number of a task."
    BINDINGS = [Binding("f9", "logout", "Log out", priority=True)]
    CHOICES = {
        "1": "Pick",
        "2": "Pack",
        "3": "Receive",
        "4": "Move",
        "5": "Count",
        "6": "Look up",
        "7": "Returns",
        "8": "Hand over",
        "9": "Log out",
    }

    def body(self) -> ComposeResult:
        yield Hint("", id="step")
        yield Hint("\n".join(f"{k} {v}" for k, v in self.CHOICES.items()), id="choices")
        yield Hint("", id="banner")
        yield Hint("", id="info")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#step", Hint).update("Choose a task")

    async def handle_scan(self, code: str) -> None:
        from terminal.screens.count import CountScreen
        from terminal.screens.handover import HandoverScreen
        from terminal.screens.lookup import LookupScreen
        from terminal.screens.move import MoveScreen
        from terminal.screens.pack import PackScreen
        from terminal.screens.pick import PickScreen
        from terminal.screens.receive import ReceiveScreen
        from terminal.screens.returns import ReturnsScreen

        screens = {
            "1": PickScreen,
            "2": PackScreen,
            "3": ReceiveScreen,
            "4": MoveScreen,
            "5": CountScreen,
            "6": LookupScreen,
            "7": ReturnsScreen,
            "8": HandoverScreen,
        }
        if code == "9":
            await self.action_logout()
        elif code in screens:
            self.app.push_screen(screens[code]())
        elif code:
            self.problem("Not a choice", "1-9")

    async def action_logout(self) -> None:
        if self.terminal.waiting:
            self.problem("Steps not sent yet", "", f"{self.terminal.waiting} waiting: stay online")
            return
        await self.terminal.sign_out()
        self.dismiss(None)

    def action_back(self) -> None:
        pass  # the menu is the top: F4 does nothing rather than log out by surprise
