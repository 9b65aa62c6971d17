"""Look up anything scanned: a location's stock, an item's locations, an order, a tote."""

from __future__ import annotations

from typing import Any

from textual import work

from terminal.client import ApiError, Offline
from terminal.screens.base import FlowScreen


def describe(found: dict[str, Any]) -> tuple[str, str]:
    kind = found.get("kind", "?")
    if kind == "location":
        return found["code"], f"check {found.get('check_code')} {found.get('location_kind', '')}"
    if kind == "product":
        return found["sku"], str(found.get("name") or "")
    if kind == "order":
        return str(found.get("reference")), f"order {found.get('order_id')} {found.get('status')}"
    if kind == "tote":
        return str(found.get("tote")), f"order {found.get('order_id') or '-'}"
    return kind.upper(), ", ".join(f"{k} {v}" for k, v in found.items() if k != "kind")


class LookupScreen(FlowScreen):
    """Shows what a scan is, then the stock behind it."""

    HELP = "Scan a location, item, tote or order."

    def on_mount(self) -> None:
        super().on_mount()
        self.say("Look up", "SCAN ANYTHING", "")

    async def handle_scan(self, code: str) -> None:
        if code:
            self.look_up(code)

    @work(exclusive=True)
    async def look_up(self, code: str) -> None:
        client = self.terminal.client
        try:
            found = await client.scan(code)
            title, info = describe(found)
            rows: list[Any] = []
            if found.get("kind") == "product":
                rows = [f"{r['location']} {r['on_hand']}" for r in await client.stock(sku=title)]
            elif found.get("kind") == "location":
                rows = [f"{r['sku']} {r['on_hand']}" for r in await client.stock(location=title)]
            elif found.get("kind") == "tote":
                tote = await client.get(f"/totes/{title}")
                items = tote.get("items") or tote.get("lines") or []
                rows = [f"{x.get('sku')} {x.get('qty')}" for x in items]
        except Offline:
            self.terminal.note_offline(True)
            self.problem("Server unreachable", "", "Look-ups need the server")
            return
        except ApiError as err:
            self.api_problem(err)
            return
        self.say(found.get("kind", ""), title, "\n".join([info, *rows[:20]]))
