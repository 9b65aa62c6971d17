"""Receive against a purchase order or delivery note into staging, then put away.

The PO or delivery note (scanned or typed) comes first and is sent as every receipt's `ref`:
the server refuses a floor receipt without one (`ref_required`) and over the floor's limit
(`over_floor_limit`, a supervisor receives it); a refused receipt is not put away.

A lot-tracked product asks for its lot (a GS1 code carries it, else its lot label) and, when
its expiry is tracked, the expiry (the GS1 code's, or typed as YYMMDD on the keypad).
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from textual import work
from textual.widgets import Digits

from terminal import scans
from terminal.client import ApiError, Offline
from terminal.screens.stockflow import StockFlowScreen
from terminal.text import is_qty, short

REF_MAX = 120  # the server's bound on a receipt's reference


class ReceiveScreen(StockFlowScreen):
    """ref → staging → item → [lot → expiry] → qty → (journaled receive) → putaway (journaled
    move)."""

    SHOWS_DIGITS = True

    KEYS = "F1 Help F4 Back"
    HELP = "Scan the staging location, then each item and its quantity; put it away."

    def __init__(self) -> None:
        super().__init__()
        self.step = "ref"
        self.ref = ""  # the purchase order or delivery note every receipt here is against
        self.staging = ""
        self.item: dict[str, Any] = {}
        self.qty = 0
        self.counted = 0  # units scanned so far at the qty step (a case counts its pack_qty)
        self.target = ""
        self.target_check = ""

    def render_step(self) -> None:
        digits = self.query_one("#digits", Digits)
        shown = {"putaway": self.target_check, "qty": str(self.counted or "")}
        digits.update(shown.get(self.step, ""))
        if self.step == "ref":
            self.say("Receive", "SCAN PO / NOTE", "purchase order or\ndelivery note")
        elif self.step == "staging":
            self.say(f"Receive {short(self.ref, 12)}", "SCAN STAGING LOC", "where goods arrive")
        elif self.step == "item":
            self.say(f"Into {self.staging}", "SCAN ITEM", "")
        elif self.step == "lot":
            self.say(short(self.item["name"]), "SCAN LOT", f"{self.item['sku']} lot label")
        elif self.step == "expiry":
            self.say(f"Lot {self.item['lot']}", "EXPIRY YYMMDD", "type or scan GS1")
        elif self.step == "qty":
            pack = self.item.get("pack_qty", 1)
            each = f" · case of {pack}" if pack > 1 else ""
            self.say(
                short(self.item["name"]), "TYPE QTY", f"{self.item['sku']}{each}\nEnter = shown"
            )
        elif self.step == "putaway":
            self.say(
                f"Put away {self.qty} {self.item['sku']}",
                f"GO TO {self.target}",
                "scan loc or check code",
            )

    def after_item(self) -> str:
        """The lot and expiry a tracked product needs that its scan did not carry."""
        if self.item["lot_tracked"] and not self.item["lot"]:
            return "lot"
        if self.item["expiry_tracked"] and not self.item["expiry"]:
            return "expiry"
        return "qty"

    async def handle_scan(self, code: str) -> None:
        if not code and self.step == "qty" and self.counted:
            await self.receive(self.counted)
            return
        if not code:
            return
        if self.step == "ref":
            if len(code) > REF_MAX:
                self.problem("Reference too long", f"at most {REF_MAX} characters")
                return
            self.ref, self.step = code.strip(), "staging"
        elif self.step == "staging":
            location = await self.resolve_location(code)
            if location:
                self.staging, self.step = location, "item"
        elif self.step == "item":
            item = await self.resolve_item(code)
            if item:
                self.item, self.counted = item, int(item["pack_qty"])
                self.step = self.after_item()
        elif self.step == "lot":
            ais = scans.parse_gs1(code)
            if ais.get("17") and not self.item["expiry"]:
                self.item["expiry"] = expiry_of(ais["17"]) or ""
            self.item["lot"] = scans.lot_of(code) or ""
            self.step = self.after_item()
        elif self.step == "expiry":
            ais = scans.parse_gs1(code)
            when = expiry_of(ais.get("17") or code)
            if when is None:
                self.problem("Type YYMMDD", "e.g. 270313")
                return
            self.item["expiry"] = when
            self.step = self.after_item()
        elif self.step == "qty":
            if not is_qty(code):  # another scan of the item counts its units
                again = await self.resolve_item(code)
                if again is None:
                    return
                if again["sku"] != self.item["sku"]:
                    self.problem("Another item", self.item["name"], f"Scanned: {again['name']}")
                    return
                self.counted += int(again["pack_qty"])
                self.render_step()
                return
            qty, problem = scans.check_qty(code, 1_000_000)
            if qty is None:
                self.problem(problem.title if problem else "Type a number", "")
                return
            await self.receive(qty)
            return
        elif self.step == "putaway":
            if scans.check_location(
                code, {"location": self.target, "check_code": self.target_check}
            ):
                self.problem("Wrong location", self.target)
                return
            body = {
                "sku": self.item["sku"],
                "source": self.staging,
                "target": self.target,
                "qty": self.qty,
                "lot": self.item["lot"],
                "ref": f"putaway {self.ref}"[:REF_MAX],
            }
            await self.terminal.submit("/stock/move", body, f"Put away {self.item['sku']}")
            self.step = "item"
        self.render_step()

    async def receive(self, qty: int) -> None:
        self.qty = qty
        body: dict[str, Any] = {
            "sku": self.item["sku"],
            "location": self.staging,
            "qty": qty,
            "lot": self.item["lot"],
            "ref": self.ref,
        }
        if self.item.get("expiry"):
            body["expiry"] = self.item["expiry"]
        await self.terminal.submit("/stock/receive", body, f"Receive {qty} {self.item['sku']}")
        self.suggest()

    @work(exclusive=True)
    async def suggest(self) -> None:
        try:
            self.target = str((await self.terminal.client.putaway(self.item["sku"]))["location"])
            # Its check code, so a keypad alone can confirm the shelf.
            where = await self.terminal.client.scan(self.target)
            self.target_check = str(where.get("check_code") or "")
        except (Offline, ApiError):
            self.step = "item"  # received into staging; put away later
            self.render_step()
            self.problem("No putaway hint", "", "Left in staging")
            return
        if self.step == "qty":  # still waiting for this receipt (not refused meanwhile)
            self.step = "putaway"
        self.render_step()

    def journal_flushed(self, answers: list[Any], rejected: bool) -> None:
        """A refused receipt (no reference, over the floor's limit) is not there to put away."""
        if rejected and self.step in ("qty", "putaway"):
            self.step = "item"
            self.render_step()

    def action_back(self) -> None:
        back = {
            "staging": "ref",
            "item": "staging",
            "lot": "item",
            "expiry": "item",
            "qty": "item",
            "putaway": "item",
        }
        if self.step in back:
            self.step = back[self.step]
            self.render_step()
        else:
            self.dismiss(None)


def expiry_of(text: str) -> str | None:
    """An expiry typed or scanned as YYMMDD (GS1 (17); day 00 is the month's end) or YYYYMMDD."""
    text = text.strip()
    if not text.isdigit() or len(text) not in (6, 8):
        return None
    year = 2000 + int(text[:2]) if len(text) == 6 else int(text[:4])
    month, day = int(text[-4:-2]), int(text[-2:])
    try:
        if day == 0:
            day = calendar.monthrange(year, month)[1]
        return date(year, month, day).isoformat()
    except ValueError:
        return None
