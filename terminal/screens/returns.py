"""Returns at the desk: scan the parcel or order, then grade each item (restock, quarantine,
scrap) with its lot; the server moves the stock through the ledger and says what is left.

Every call needs the server's answer (what is left to grade), so the calls are direct; each
keeps its Idempotency-Key until answered, so a retry after a lost answer grades once.
"""

from __future__ import annotations

from typing import Any

from textual import work

from terminal import scans
from terminal.client import ApiError, Offline, new_key
from terminal.screens.stockflow import StockFlowScreen
from terminal.text import short

GRADES = {"1": "restock", "2": "quarantine", "3": "scrap"}


class ReturnsScreen(StockFlowScreen):
    """parcel/order → item → [lot] → grade (1 restock 2 quarantine 3 scrap) → item …"""

    HELP = "Scan the parcel or order, then each item; 1 restock, 2 quarantine, 3 scrap."

    def __init__(self) -> None:
        super().__init__()
        self.step = "parcel"
        self.ret: dict[str, Any] | None = None
        self.item: dict[str, Any] = {}
        self.item_scan = ""
        self.key = ("", "")  # (what the key is for, the key): reused on a retry

    def key_for(self, what: str) -> str:
        if self.key[0] != what:
            self.key = (what, new_key())
        return self.key[1]

    def lines_text(self) -> str:
        assert self.ret is not None
        width = 30 if self.app.size.width >= 80 else 12
        return "\n".join(
            f"{short(str(x['sku']), width)} {x['left']} left"
            for x in self.ret["lines"]
            if x["left"]
        )

    def render_step(self) -> None:
        if self.step == "parcel":
            self.say("Returns", "SCAN PARCEL/ORDER", "tracking, SSCC or order")
        elif self.step == "item":
            assert self.ret is not None
            self.say(f"Return {self.ret['reference']}", "SCAN ITEM", self.lines_text())
        elif self.step == "lot":
            self.say(short(self.item["name"]), "SCAN LOT", f"{self.item['sku']} lot label")
        elif self.step == "grade":
            lot = f" lot {self.item['lot']}" if self.item.get("lot") else ""
            self.say(
                short(self.item["name"]),
                "GRADE: TYPE 1-3",
                f"{self.item['sku']}{lot}\n1 Restock\n2 Quarantine\n3 Scrap",
            )
        elif self.step == "done":
            assert self.ret is not None
            self.say(f"Return {self.ret['reference']}", "RETURN DONE", "Enter: next")

    async def handle_scan(self, code: str) -> None:
        if self.step == "done":
            self.step, self.ret = "parcel", None
            self.render_step()
        elif self.step == "parcel" and code:
            self.receive(code)
        elif self.step == "item" and code:
            item = await self.resolve_item(code)
            if item is None:
                return
            assert self.ret is not None
            if not any(x["sku"] == item["sku"] and x["left"] for x in self.ret["lines"]):
                expected = " ".join(x["sku"] for x in self.ret["lines"] if x["left"])
                self.problem("Not in this return", expected, f"Scanned: {item['name']}")
                return
            self.item, self.item_scan = item, code
            self.step = "lot" if item["lot_tracked"] and not item["lot"] else "grade"
            self.render_step()
        elif self.step == "lot" and code:
            self.item["lot"] = scans.lot_of(code) or ""
            self.step = "grade"
            self.render_step()
        elif self.step == "grade":
            if code not in GRADES:
                self.problem("Type 1, 2 or 3", "1 restock 2 quar. 3 scrap")
                return
            self.grade(GRADES[code])

    def graded_scan(self) -> str:
        """The item scan with its lot: a GS1 element string when the lot came on its own."""
        return scans.with_lot(self.item_scan, str(self.item.get("lot") or ""))

    @work(exclusive=True, group="returns")
    async def receive(self, code: str) -> None:
        try:
            self.ret = await self.terminal.client.post(
                "/returns/receive", {"scan": code}, self.key_for(f"receive {code}")
            )
        except Offline:
            self.terminal.note_offline(True)
            self.problem("Server unreachable", "", "Returns need the server")
            return
        except ApiError as err:
            self.key = ("", "")
            self.api_problem(err)
            return
        self.key = ("", "")
        self.step = "item" if self.ret and self.ret.get("status") != "done" else "done"
        self.render_step()

    @work(exclusive=True, group="returns")
    async def grade(self, grade: str) -> None:
        assert self.ret is not None
        body = {"scan": self.graded_scan(), "grade": grade, "qty": 1}
        try:
            self.ret = await self.terminal.client.post(
                f"/returns/{self.ret['id']}/grade", body, self.key_for(f"grade {body}")
            )
        except Offline:
            self.terminal.note_offline(True)
            self.problem("Server unreachable", "", "Type the grade again")
            return
        except ApiError as err:
            self.key = ("", "")
            self.step = "item"
            self.render_step()
            self.api_problem(err)
            return
        self.key = ("", "")
        self.step = "done" if self.ret.get("status") == "done" else "item"
        self.render_step()

    def action_back(self) -> None:
        back = {"item": "parcel", "lot": "item", "grade": "item", "done": "parcel"}
        if self.step in back:
            self.step = back[self.step]
            self.render_step()
        else:
            self.dismiss(None)
