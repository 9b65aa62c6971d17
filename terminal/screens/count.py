"""Count a location: scan it, scan (or scan then type) what is there, Enter alone to finish.

A count off by more than the floor's variance is kept by the server for a supervisor (202
`{"pending": true, "count_id"}`): the screen says "Sent for approval", not done, not an error.
"""

from __future__ import annotations

from typing import Any

from terminal.screens.error import NoticeScreen
from terminal.screens.stockflow import StockFlowScreen
from terminal.text import is_qty, short


class CountScreen(StockFlowScreen):
    """location → items (each scan counts one; a number sets the last item's count) → send."""

    HELP = "Scan the location, scan every unit (or an item then its count), Enter alone ends."

    def __init__(self) -> None:
        super().__init__()
        self.step = "location"
        self.location = ""
        self.counted: dict[tuple[str, str], int] = {}
        self.last: tuple[str, str] | None = None
        self.names: dict[str, str] = {}
        self.confirming_empty = False  # Enter on no items asks once more before "empty"

    def render_step(self) -> None:
        if self.step == "location":
            self.say("Count", "SCAN LOCATION", "")
            return
        if self.confirming_empty:
            self.say(f"Count {self.location}", "EMPTY? ENTER", "scan an item if not")
            return
        lines = [f"{short(sku, 14)} {n}" for (sku, _), n in self.counted.items()]
        self.say(f"Count {self.location}", "SCAN ITEMS", "\n".join(lines) or "Enter: empty")

    async def handle_scan(self, code: str) -> None:
        if code:
            self.confirming_empty = False
        if self.step == "location":
            if code and (location := await self.resolve_location(code)):
                self.location, self.step = location, "items"
                self.counted, self.last = {}, None
        elif not code:
            await self.send()
        elif is_qty(code) and self.last is not None:
            self.counted[self.last] = int(code)
        elif item := await self.resolve_item(code):
            key = (item["sku"], item["lot"])
            self.counted[key] = self.counted.get(key, 0) + int(item.get("pack_qty") or 1)
            self.last = key
        self.render_step()

    async def send(self) -> None:
        lines: list[dict[str, Any]] = [
            {"sku": sku, "qty": qty, "lot": lot} for (sku, lot), qty in self.counted.items()
        ]
        body: dict[str, Any] = {"location": self.location, "lines": lines, "ref": "terminal count"}
        if not lines:
            if not self.confirming_empty:
                self.confirming_empty = True  # the server refuses an unconfirmed empty count
                return
            body["confirm_empty"] = True
        self.confirming_empty = False
        await self.terminal.submit("/stock/count", body, f"Count {self.location}")
        self.step = "location"

    def journal_flushed(self, answers: list[Any], rejected: bool) -> None:
        for answer in answers:
            if isinstance(answer, dict) and answer.get("pending") and "count_id" in answer:
                self.app.push_screen(
                    NoticeScreen(
                        "Sent for approval",
                        "",
                        f"Count {answer['count_id']}: a big difference waits for a supervisor;"
                        " stock unchanged until then",
                    )
                )

    def action_back(self) -> None:
        if self.step == "items":
            self.step = "location"
            self.render_step()
        else:
            self.dismiss(None)
