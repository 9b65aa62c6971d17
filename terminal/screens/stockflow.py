"""What receive, move and count share: resolving an item scan to its SKU through GET /scan."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Digits

from terminal import scans
from terminal.client import ApiError, Offline
from terminal.screens.base import FlowScreen
from terminal.widgets.panels import Banner, Hint


class StockFlowScreen(FlowScreen):
    """A flow that writes stock: steps are journaled, look-ups need the server."""

    SHOWS_DIGITS = False  # a big number (a quantity) under the banner

    def body(self) -> ComposeResult:
        yield Hint("", id="step")
        yield Banner("", id="banner")
        if self.SHOWS_DIGITS:
            yield Digits("", id="digits")
        yield Hint("", id="info")

    def on_mount(self) -> None:
        super().on_mount()
        self.render_step()

    def render_step(self) -> None:
        """Show the current step; each flow says what its steps look like."""
        raise NotImplementedError

    async def resolve_item(self, code: str) -> dict[str, Any] | None:
        """The product an item scan names (sku, name, lot, pack_qty, tracking), or None."""
        try:
            found = await self.terminal.client.scan(code)
        except Offline:
            self.terminal.note_offline(True)
            self.problem("Server unreachable", "", "Look-ups need the server")
            return None
        except ApiError as err:
            self.api_problem(err)
            return None
        if found.get("kind") != "product":
            self.problem("Not an item", "", f"that is a {found.get('kind')}")
            return None
        lot = found.get("lot") or scans.item_key(code)[1] or ""
        return {
            "sku": found["sku"],
            "name": found.get("name") or found["sku"],
            "lot": lot,
            "expiry": found.get("expiry") or "",
            "pack_qty": max(1, int(found.get("pack_qty") or 1)),
            "lot_tracked": bool(found.get("lot_tracked")),
            "expiry_tracked": bool(found.get("expiry_tracked")),
        }

    async def resolve_location(self, code: str) -> str | None:
        """The location code for a scan (label or code typed); None after showing why not."""
        try:
            found = await self.terminal.client.scan(code)
        except Offline:
            return code.upper()  # offline: the server checks it when the step is replayed
        except ApiError as err:
            self.api_problem(err)
            return None
        if found.get("kind") != "location":
            self.problem("Not a location", "", f"that is a {found.get('kind')}")
            return None
        return str(found["code"])
