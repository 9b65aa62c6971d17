"""The pick screen: draws `terminal.flows.pick` and runs its commands (journal, server).

The flow decides every step; this screen only turns keys, scans and the server's answers
into its events, shows the state after each one, and does the I/O the commands ask for.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.widgets import Digits

from terminal.client import ApiError, Offline
from terminal.flows import pick
from terminal.flows.base import Key, Scan
from terminal.screens.base import FlowScreen
from terminal.widgets.panels import Banner, Hint


class PickScreen(FlowScreen):
    """The picker's whole batch on one screen whose content follows the step."""

    KEYS = "F2 Short F3 Skip F4 Back F5 Pause F6 Hand over"
    HELP = "Go to the location, scan it (or type its check code), scan the item, scan the tote."
    BINDINGS = [
        Binding("f2", "short", "Short", priority=True),
        Binding("f3", "skip", "Skip", priority=True),
        Binding("f5", "pause", "Pause", priority=True),
        Binding("f6", "handover", "Hand over", priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.flow = pick.Pick()

    # What tests and the journal look at: the flow's state.
    @property
    def step(self) -> pick.Step:
        return self.flow.step

    @property
    def batch(self) -> dict[str, Any] | None:
        return self.flow.batch

    @property
    def stop(self) -> dict[str, Any] | None:
        return self.flow.stop

    @property
    def count(self) -> int:
        return self.flow.count

    def tote_of(self, stop: dict[str, Any]) -> str | None:
        return self.flow.tote_of(stop)

    def body(self) -> ComposeResult:
        yield Hint("", id="step")
        yield Banner("", id="banner")
        yield Digits("", id="digits")
        yield Hint("", id="info")

    async def on_mount(self) -> None:
        super().on_mount()
        assert self.terminal.journal is not None
        cached = await self.terminal.journal.get("batch")
        await self.run(pick.Opened(json.loads(cached) if cached else None))

    # -- driving the flow ---------------------------------------------------------------
    def feed(self, event: pick.Event) -> list[pick.Command]:
        """Synchronous on purpose: no scan can slip in between the state and its drawing."""
        self.flow, commands = pick.advance(self.flow, event)
        # When the app is closing, its screens' widgets are gone: nothing is left to show.
        with contextlib.suppress(NoMatches):
            if shown := pick.show(self.flow):
                self.say(shown.step, shown.banner, shown.info)
                self.query_one("#digits", Digits).update(shown.digits)
        return commands

    async def run(self, event: pick.Event) -> None:
        for command in self.feed(event):
            await self.perform(command)

    async def perform(self, command: object) -> None:
        assert self.terminal.journal is not None
        if isinstance(command, pick.SaveBatch):
            await self.terminal.journal.put("batch", json.dumps(command.batch))
        elif isinstance(command, pick.ForgetBatch):
            await self.terminal.journal.forget("batch")
        elif isinstance(command, pick.FetchNext):
            self.fetch_next()
        elif isinstance(command, pick.Resync):
            self.resync(command.batch_id)
        else:
            await super().perform(command)

    async def handle_scan(self, code: str) -> None:
        await self.run(Scan(code))

    async def action_short(self) -> None:
        await self.run(Key("short"))

    async def action_skip(self) -> None:
        await self.run(Key("skip"))

    async def action_pause(self) -> None:
        await self.run(Key("pause"))

    async def action_handover(self) -> None:
        await self.run(Key("handover"))

    async def action_back(self) -> None:
        await self.run(Key("back"))

    # -- the server -------------------------------------------------------------------------
    @work(exclusive=True, group="fetch")
    async def fetch_next(self) -> None:
        try:
            batch = await self.terminal.client.next_batch()
        except Offline:
            await self.run(pick.FetchFailed(None))
            return
        except ApiError as err:
            await self.run(pick.FetchFailed(self.refusal(err)))
            return
        await self.run(pick.Fetched(batch))

    @work(exclusive=True, group="fetch")
    async def resync(self, batch_id: int) -> None:
        """After a rejected step the local copy is wrong: take the server's batch."""
        try:
            batch = await self.terminal.client.batch(batch_id)
        except (Offline, ApiError):
            return
        await self.run(pick.Resynced(batch))

    def journal_flushed(self, answers: list[Any], rejected: bool) -> None:
        busy = bool(self.terminal.waiting or self.terminal.submitting)
        if commands := self.feed(pick.Flushed(answers, rejected, busy)):
            self.run_worker(self.perform_all(commands), group="save")

    async def perform_all(self, commands: list[pick.Command]) -> None:
        for command in commands:
            await self.perform(command)
