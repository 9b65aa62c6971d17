"""Move stock: from location, item, quantity, to location — one journaled move."""

from __future__ import annotations

from typing import Any

from textual.widgets import Digits

from terminal import scans
from terminal.screens.stockflow import StockFlowScreen
from terminal.text import is_qty, short


class MoveScreen(StockFlowScreen):
    """source → item → qty → target."""

    SHOWS_DIGITS = True

    HELP = "Scan where it is, the item, type the quantity, scan where it goes."

    def __init__(self) -> None:
        super().__init__()
        self.step = "source"
        self.source = ""
        self.item: dict[str, Any] = {}
        self.qty = 0

    def render_step(self) -> None:
        self.query_one("#digits", Digits).update(str(self.qty) if self.step == "target" else "")
        if self.step == "source":
            self.say("Move", "SCAN FROM LOC", "")
        elif self.step == "item":
            self.say(f"From {self.source}", "SCAN ITEM", "")
        elif self.step == "qty":
            self.say(short(self.item["name"]), "TYPE QTY", self.item["sku"])
        elif self.step == "target":
            self.say(f"Move {self.item['sku']}", "SCAN TO LOC", f"from {self.source}")

    async def handle_scan(self, code: str) -> None:
        if not code:
            return
        if self.step == "source":
            if location := await self.resolve_location(code):
                self.source, self.step = location, "item"
        elif self.step == "item":
            if item := await self.resolve_item(code):
                self.item, self.step = item, "qty"
        elif self.step == "qty":
            qty, problem = scans.check_qty(code, 1_000_000) if is_qty(code) else (None, None)
            if qty is None:
                self.problem(problem.title if problem else "Type a number")
                return
            self.qty, self.step = qty, "target"
        elif self.step == "target":
            target = await self.resolve_location(code)
            if not target:
                return
            if target == self.source:
                self.problem("Same location", "another location")
                return
            body = {
                "sku": self.item["sku"],
                "source": self.source,
                "target": target,
                "qty": self.qty,
                "lot": self.item["lot"],
                "ref": "terminal move",
            }
            await self.terminal.submit("/stock/move", body, f"Move {self.qty} {self.item['sku']}")
            self.step, self.qty = "source", 0
        self.render_step()

    def action_back(self) -> None:
        back = {"item": "source", "qty": "item", "target": "qty"}
        if self.step in back:
            self.step = back[self.step]
            self.render_step()
        else:
            self.dismiss(None)
