"""Lookup flow (placeholder)."""

from __future__ import annotations

from terminal.screens.base import FlowScreen


class LookupScreen(FlowScreen):
    """Not built yet."""

    def on_mount(self) -> None:
        super().on_mount()
        self.say("Lookup", "NOT READY", "F4: back")
