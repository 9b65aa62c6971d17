"""Status line, next-action banner and function-key bar: the frame every flow screen shares."""

from __future__ import annotations

from textual.widgets import Static


class StatusLine(Static):
    """Who is logged in and whether the server is reachable ("offline, N waiting")."""

    DEFAULT_CSS = """
    StatusLine { height: 1; background: $primary-darken-2; color: $text; }
    StatusLine.offline { background: $warning; color: black; text-style: bold; }
    """

    def show(self, user: str, online: bool, waiting: int) -> None:
        if online and not waiting:
            self.update(f"{user} · online" if user else "online")
        elif online:
            self.update(f"sending, {waiting} waiting")
        else:
            self.update(f"offline, {waiting} waiting")
        self.set_class(not online, "offline")


class Banner(Static):
    """The next action, biggest text on screen: where to go, what to scan."""

    DEFAULT_CSS = """
    Banner { width: 100%; height: auto; min-height: 3; text-style: bold; padding: 1 0;
             background: $accent; color: $text; content-align: center middle; }
    """


class Hint(Static):
    """Secondary information under the banner (item name, order, slot)."""

    DEFAULT_CSS = """
    Hint { width: 100%; height: auto; color: $text-muted; }
    """


class KeyBar(Static):
    """The function keys this screen answers to, always visible."""

    DEFAULT_CSS = """
    KeyBar { dock: bottom; height: auto; max-height: 3; background: $panel; color: $text; }
    """
