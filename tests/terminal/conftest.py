"""Fixtures for driving the real terminal app headlessly against a fake or a real floor API."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from terminal.app import TerminalApp
from terminal.config import Settings
from terminal.widgets.scan_input import ScanInput
from tests.support.waiting import await_until
from tests.terminal.fake_floor import FakeServer


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    server = FakeServer().start()
    yield server
    server.stop()


@pytest.fixture
def settings(fake: FakeServer, tmp_path: Path) -> Settings:
    return Settings(server=fake.url, journal=tmp_path / "journal.sqlite", timeout_s=1.0)


async def scan(pilot: Pilot, code: str) -> None:
    """What a keyboard-wedge scanner does: the code lands in the input line, then Enter.

    The text is inserted at once (pressing each key through Pilot costs ~0.1 s a key);
    `type_keys` below really presses them, for the tests about the keyboard itself.
    """
    focused = pilot.app.focused
    if isinstance(focused, ScanInput):
        focused.insert_text_at_cursor(code)
    await pilot.press("enter")
    await settle(pilot)


async def type_keys(pilot: Pilot, code: str) -> None:
    await pilot.press(*code, "enter")
    await settle(pilot)


async def settle(pilot: Pilot, rounds: int = 2) -> None:
    # Handlers await the journal; give the message queue a couple of turns to drain.
    for _ in range(rounds):
        await pilot.pause()


def described(predicate: Callable[[], object]) -> str:
    """What a lambda waits for, as its source says it."""
    try:
        return inspect.getsource(predicate).strip()
    except (OSError, TypeError):
        return repr(predicate)


async def wait_for(pilot: Pilot, predicate: Callable[[], object], timeout: float = 15.0) -> None:
    # Generous: the suite's other worker may be driving Chromium on the same two cores.
    try:
        await await_until(predicate, described(predicate), timeout, pause=pilot.pause)
    except AssertionError as failed:
        shown = " | ".join(
            line.strip() for line in screen_text(pilot.app).split("\n") if line.strip()
        )
        raise AssertionError(f"{failed}\non {type(pilot.app.screen).__name__}: {shown}") from None
    await settle(pilot)  # let a screen that just appeared lay itself out


async def log_in(pilot: Pilot, badge: str = "B1001", pin: str = "1234") -> None:
    await scan(pilot, badge)
    await scan(pilot, pin)
    app = pilot.app
    await wait_for(pilot, lambda: type(app.screen).__name__ == "MenuScreen")


def screen_text(app: TerminalApp) -> str:
    """The screen as plain text, one line per row (what a tmux capture shows)."""
    # No public API gives the screen's rows as text; the compositor's strips are exactly that.
    strips = app.screen._compositor.render_strips(app.size)
    return "\n".join(strip.text.rstrip() for strip in strips)
