"""Receive into a staging location, then put away to the suggested location."""

from __future__ import annotations

from typing import Any

from textual import work
from textual.widgets import Digits

from terminal import scans
from terminal.client import ApiError, Offline
from terminal.screens.pick import is_qty, short
from terminal.screens.stockflow import StockFlowScreen


class ReceiveScreen(StockFlowScreen):
    """staging → item → qty → (journaled receive) → go to suggestion → (journaled move)."""

    SHOWS_DIGITS = True

    KEYS = "F1 Help F4 Back"
    HELP = "Scan the staging location, then each item and its quantity; put it away."

    def __init__(self) -> None:
        super().__init__()
        self.step = "staging"
        self.staging = ""
        self.item: dict[str, Any] = {}
        self.qty = 0
        self.target = ""

    def render_step(self) -> None:
        digits = self.query_one("#digits", Digits)
        digits.update(str(self.qty) if self.step in ("putaway",) else "")
        if self.step == "staging":
            self.say("Receive", "SCAN STAGING LOC", "where goods arrive")
        elif self.step == "item":
            self.say(f"Into {self.staging}", "SCAN ITEM", "")
        elif self.step == "qty":
            self.say(short(self.item["name"]), "TYPE QTY", self.item["sku"])
        elif self.step == "putaway":
            self.say(f"Put away {self.item['sku']}", f"GO TO {self.target}", "scan the location")

    async def handle_scan(self, code: str) -> None:
        if not code:
            return
        if self.step == "staging":
            location = await self.resolve_location(code)
            if location:
                self.staging, self.step = location, "item"
        elif self.step == "item":
            item = await self.resolve_item(code)
            if item:
                self.item, self.step = item, "qty"
        elif self.step == "qty":
            qty, problem = scans.check_qty(code, 1_000_000) if is_qty(code) else (None, None)
            if qty is None:
                self.problem(problem.title if problem else "Type a number", "")
                return
            self.qty = qty
            body = {
                "sku": self.item["sku"],
                "location": self.staging,
                "qty": qty,
                "lot": self.item["lot"],
                "ref": "terminal receive",
            }
            await self.terminal.submit("/stock/receive", body, f"Receive {qty} {self.item['sku']}")
            self.suggest()
            return
        elif self.step == "putaway":
            if code.strip().upper() != self.target.upper():
                self.problem("Wrong location", self.target)
                return
            body = {
                "sku": self.item["sku"],
                "source": self.staging,
                "target": self.target,
                "qty": self.qty,
                "lot": self.item["lot"],
                "ref": "terminal putaway",
            }
            await self.terminal.submit("/stock/move", body, f"Put away {self.item['sku']}")
            self.step = "item"
        self.render_step()

    @work(exclusive=True)
    async def suggest(self) -> None:
        try:
            self.target = str((await self.terminal.client.putaway(self.item["sku"]))["location"])
        except (Offline, ApiError):
            self.step = "item"  # received into staging; put away later
            self.render_step()
            self.problem("No putaway hint", "", "Left in staging")
            return
        self.step = "putaway"
        self.render_step()

    def action_back(self) -> None:
        back = {"item": "staging", "qty": "item", "putaway": "item"}
        if self.step in back:
            self.step = back[self.step]
            self.render_step()
        else:
            self.dismiss(None)
