"""Move flow (placeholder)."""

from __future__ import annotations

from terminal.screens.base import FlowScreen


class MoveScreen(FlowScreen):
    """Not built yet."""

    def on_mount(self) -> None:
        super().on_mount()
        self.say("Move", "NOT READY", "F4: back")
