"""Pick a cart batch: bind totes, then stop by stop (location, item, quantity, tote), then drop.

Every scan is checked locally against the batch fetched at the start, so a good scan advances
at once and a wrong one is caught even offline; each finished stop becomes one journaled
`confirm` (or `short`/`skip`), sent when the server can be reached.
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

from terminal import scans
from terminal.client import ApiError, Offline
from terminal.screens.base import FlowScreen
from terminal.widgets.panels import Banner, Hint

TODO = ("open", "skipped")
BOUNDARY = ("bind", "location", "drop", "done", "idle")  # no half-scanned stop on screen


def is_qty(code: str) -> bool:
    """Typed quantities are short; barcodes (also all digits) are long."""
    return code.isdigit() and len(code) <= 6


def short(text: str, width: int = 20) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


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
        self.batch: dict[str, Any] | None = None
        self.step = "idle"
        self.slot: dict[str, Any] | None = None
        self.stop: dict[str, Any] | None = None
        self.location_scan = ""
        self.item_scan = ""
        self.count = 0
        self.found = 0
        self.item_units = 0  # units the kept item scan stands for (1, or a pack's size)
        self.lot = ""  # the lot the picker chose when the scan carried none
        self.here = ""  # the location just picked at (and how it was scanned): no rescan
        self.here_scan = ""
        self.stale = False  # a step was refused: take the server's batch when all is sent
        self.resume_step = "location"

    def body(self) -> ComposeResult:
        yield Hint("", id="step")
        yield Banner("", id="banner")
        yield Digits("", id="digits")
        yield Hint("", id="info")

    async def on_mount(self) -> None:
        super().on_mount()
        assert self.terminal.journal is not None
        cached = await self.terminal.journal.get("batch")
        if cached and json.loads(cached).get("status") != "done":
            await self.begin(json.loads(cached))
        else:
            self.fetch_next()

    # -- getting a batch ------------------------------------------------------
    @work(exclusive=True, group="fetch")
    async def fetch_next(self) -> None:
        self.say_big("Pick", "GETTING WORK", "", "")
        try:
            batch = await self.terminal.client.next_batch()
        except Offline:
            self.terminal.note_offline(True)
            self.say_big("Pick", "OFFLINE", "", "No batch: try again when online (Enter)")
            return
        except ApiError as err:
            self.say_big("Pick", err.title.upper(), "", "Enter: ask again  F4: menu")
            return
        self.terminal.note_offline(False)
        await self.begin(batch)

    @work(exclusive=True, group="fetch")
    async def resync(self) -> None:
        """After a rejected step the local copy is wrong: take the server's batch."""
        if self.batch is None:
            return
        try:
            batch = await self.terminal.client.batch(int(self.batch["id"]))
        except (Offline, ApiError):
            return
        await self.begin(batch)

    def keep_fetched(self, batch: dict[str, Any]) -> dict[str, Any]:
        """A tote fetched onto the cart stays fetched when the server's view is taken: the
        server says `fetch_from` until the first unit goes into it."""
        old = self.batch if self.batch and self.batch.get("id") == batch.get("id") else None
        if old is not None:
            fetched = {s["slot"]: s.get("tote") for s in old["slots"] if not s.get("fetch_from")}
            for slot in batch["slots"]:
                if slot.get("tote") and fetched.get(slot["slot"]) == slot["tote"]:
                    slot["fetch_from"] = None
        return batch

    async def begin(self, batch: dict[str, Any]) -> None:
        self.batch = self.keep_fetched(batch)
        if batch.get("status") == "paused":
            batch["status"] = "picking"
            await self.terminal.submit(f"/picking/batches/{batch['id']}/resume", {}, "Resume")
        await self.save()
        self.next_action()

    async def save(self) -> None:
        # The batch with local progress is kept in the journal DB: a restart offline resumes it.
        assert self.terminal.journal is not None and self.batch is not None
        await self.terminal.journal.put("batch", json.dumps(self.batch))

    # -- what comes next ------------------------------------------------------------
    def todo(self) -> list[dict[str, Any]]:
        assert self.batch is not None
        return [s for s in self.batch["stops"] if s["status"] in TODO]

    def next_action(self) -> None:
        assert self.batch is not None
        self.location_scan = self.item_scan = self.lot = ""
        self.count = self.found = self.item_units = 0
        self.slot = self.stop = None
        if self.batch.get("status") == "done":
            self.step = "done"
            self.render_step()
            return
        used = {self.slot_of(s) for s in self.batch["stops"]} - {None}
        for slot in self.batch["slots"]:
            if slot.get("tote") and slot.get("fetch_from") and slot["slot"] in used:
                # One order, one tote: the order's tote from an earlier batch waits at a drop.
                self.step, self.slot = "fetch", slot
                self.render_step()
                return
            if slot.get("tote") is None and slot["slot"] in used:
                self.step, self.slot = "bind", slot
                self.render_step()
                return
        todo = self.todo()
        if todo and self.here and todo[0]["location"] == self.here:
            # The picker is standing there: the next stop at the same place starts at the item.
            self.step, self.stop, self.location_scan = "item", todo[0], self.here_scan
        elif todo:
            self.step, self.stop = "location", todo[0]
        else:
            self.step = "drop"
        self.render_step()

    def remaining(self) -> int:
        assert self.stop is not None
        return int(self.stop["qty"]) - int(self.stop.get("picked") or 0)

    def lots_here(self) -> list[str]:
        """The lots the stop's location holds (soonest expiry first), as the server listed."""
        assert self.stop is not None
        lots = [str(x["lot"]) for x in self.stop.get("lots") or [] if x.get("lot")]
        return lots or ([str(self.stop["lot"])] if self.stop.get("lot") else [])

    def slot_of(self, stop: dict[str, Any]) -> int | None:
        """The cart slot a stop goes into; in a bulk batch every stop goes into slot 1."""
        assert self.batch is not None
        if stop.get("slot") is None and self.batch.get("kind") == "bulk":
            return 1
        return stop.get("slot")

    def tote_of(self, stop: dict[str, Any]) -> str | None:
        assert self.batch is not None
        for slot in self.batch["slots"]:
            if slot["slot"] == self.slot_of(stop):
                return slot.get("tote")
        return None

    def say_big(self, step: str, banner: str, digits: str, info: str) -> None:
        self.say(step, banner, info)
        self.query_one("#digits", Digits).update(digits)

    def render_step(self) -> None:
        assert self.batch is not None
        stop, step = self.stop, self.step
        done = sum(1 for s in self.batch["stops"] if s["status"] not in TODO)
        where = f"Stop {done + 1}/{len(self.batch['stops'])}"
        if step == "bind":
            assert self.slot is not None
            self.say_big(
                f"Slot {self.slot['slot']} {self.slot.get('order_ref') or ''}",
                "SCAN TOTE",
                str(self.slot["slot"]),
                "for this cart slot",
            )
        elif step == "fetch":
            assert self.slot is not None
            self.say_big(
                f"Slot {self.slot['slot']} {self.slot.get('order_ref') or ''}",
                f"FETCH {self.slot['tote']}",
                str(self.slot["slot"]),
                f"Fetch {self.slot['tote']} at {self.slot['fetch_from']}\n"
                "scan it · Enter: new tote",
            )
        elif step == "handover":
            self.say_big("Hand over cart", "SCAN NEW BADGE", "", "F4: cancel")
        elif step == "drop":
            self.say_big(
                "All picked",
                f"DROP {self.batch['drop_location']}",
                str(self.batch.get("drop_check_code") or ""),
                "Scan drop or check code",
            )
        elif step == "done":
            self.say_big("Batch done", "DONE", "", "Enter: next batch")
        elif stop is None:
            return
        elif step == "location":
            self.say_big(
                f"{where} Go to",
                stop["location"],
                stop.get("check_code") or "",
                "Scan loc or check code",
            )
        elif step == "item":
            lot = f"\nLot {stop['lot']}" if stop.get("lot") else ""
            self.say_big(
                f"{where} Pick",
                short(stop["name"] or stop["sku"]),
                str(self.remaining()),
                f"{stop['sku']} scan item{lot}",
            )
        elif step == "lot":
            expiry = {str(x.get("lot")): x.get("expiry") or "" for x in stop.get("lots") or []}
            choices = "\n".join(
                f"{i} {lot} {expiry.get(lot, '')}".rstrip()
                for i, lot in enumerate(self.lots_here(), 1)
            )
            self.say_big(
                f"Take lot {stop['lot']}",
                "SCAN LOT OR NO.",
                "",
                choices,
            )
        elif step == "qty":
            self.say_big(
                f"Qty {self.count}/{self.remaining()}",
                "SCAN OR TYPE QTY",
                str(self.remaining() - self.count),
                "left · Enter = all",
            )
        elif step == "tote":
            tote = self.tote_of(stop) or "?"
            self.say_big(
                f"Put {self.count} in",
                f"TOTE {tote}",
                str(self.slot_of(stop) or ""),
                "Scan the tote",
            )
        elif step == "short_qty":
            held = f"{self.count} in hand, " if self.count else ""
            self.say_big(
                f"Short {self.count}/{self.remaining()}",
                "FOUND HOW MANY?",
                str(self.remaining() - self.count),
                f"left · {held}type found",
            )
        elif step == "short_item":
            self.say_big("Short pick", "SCAN ITEM", str(self.found), short(stop["name"]))
        elif step == "short_tote":
            self.say_big(
                "Short pick",
                f"TOTE {self.tote_of(stop)}",
                str(self.slot_of(stop) or ""),
                "Scan the tote",
            )

    # -- scans ---------------------------------------------------------------------
    def wrong(self, problem: scans.Problem) -> None:
        self.problem(problem.title, problem.expected, problem.detail)

    def check_item(self, code: str) -> scans.Problem | None:
        assert self.stop is not None and self.batch is not None
        return scans.check_item(code, self.stop, self.batch["stops"])

    def take_units(self, code: str) -> scans.Problem | None:
        """Count the units one item scan stands for; a pack bigger than what is left is refused."""
        assert self.stop is not None
        units = scans.pack_qty(code, self.stop)
        left = self.remaining() - self.count
        if units > left:
            if units > 1:
                return scans.Problem(
                    "pack_too_big", "Pack too big", f"{left} left", f"pack of {units}: take units"
                )
            return scans.Problem("too_many", "Too many", str(self.remaining()))
        # The confirm carries one scan for all units: the smallest one, so a server that
        # counts packs reads the typed total as units.
        if not self.item_scan or units < self.item_units:
            self.item_scan, self.item_units = code, units
        self.count += units
        return None

    async def handle_scan(self, code: str) -> None:
        handler = getattr(self, f"scan_{self.step}", None)
        if handler is not None:
            await handler(code)

    async def scan_idle(self, code: str) -> None:
        self.fetch_next()

    async def scan_done(self, code: str) -> None:
        assert self.terminal.journal is not None
        await self.terminal.journal.forget("batch")
        self.batch = None
        self.step = "idle"
        self.fetch_next()

    async def scan_fetch(self, code: str) -> None:
        """The order's own tote, fetched onto the cart; Enter takes a new tote instead."""
        assert self.batch is not None and self.slot is not None
        if not code:
            self.step = "bind"  # the server keeps the first tote the order's; the packer is told
            self.render_step()
            return
        if code.upper() != str(self.slot["tote"]).upper():
            self.problem(
                "Not order's tote", str(self.slot["tote"]), f"at {self.slot['fetch_from']}"
            )
            return
        self.slot["fetch_from"] = None  # on the cart: the server needs no call, it is bound
        await self.save()
        self.next_action()

    async def scan_bind(self, code: str) -> None:
        assert self.batch is not None and self.slot is not None
        if not code:
            return
        taken = [
            s
            for s in self.batch["slots"]
            if s is not self.slot and (s.get("tote") or "").upper() == code.upper()
        ]
        if taken:
            self.problem("Tote in use", "", f"already on slot {taken[0]['slot']}")
            return
        self.slot["tote"], self.slot["fetch_from"] = code, None
        for stop in self.batch["stops"]:
            if self.slot_of(stop) == self.slot["slot"]:
                stop["tote"] = code
        body = {"slot": self.slot["slot"], "tote": code}
        await self.terminal.submit(
            f"/picking/batches/{self.batch['id']}/totes", body, f"Tote {code} slot {body['slot']}"
        )
        await self.save()
        self.next_action()

    async def scan_location(self, code: str) -> None:
        assert self.stop is not None
        if problem := scans.check_location(code, self.stop):
            self.wrong(problem)
            return
        self.location_scan = code
        self.step = "item"
        self.render_step()

    async def scan_item(self, code: str) -> None:
        assert self.stop is not None
        if problem := self.check_item(code):
            self.wrong(problem)
            return
        self.item_scan, self.count, self.item_units = "", 0, 0
        if problem := self.take_units(code):
            self.wrong(problem)
            return
        if self.needs_lot(code):
            self.step = "lot"  # asked now, with the item in hand, not after the tote
            self.render_step()
            return
        await self.after_item()

    def needs_lot(self, code: str) -> bool:
        """A lot-tracked stop whose location holds several lots, scanned without its lot."""
        assert self.stop is not None
        if not self.stop.get("lot") or scans.item_key(code)[1]:
            return False
        return set(self.lots_here()) != {str(self.stop["lot"])}

    async def after_item(self) -> None:
        if self.count < self.remaining():
            self.step = "qty"
            self.render_step()
            return
        self.step = self.after_qty()
        if self.step == "confirm":
            await self.confirm(None)
        else:
            self.render_step()

    async def scan_lot(self, code: str) -> None:
        assert self.stop is not None
        if not code:
            return
        lot = scans.choose_lot(code, self.lots_here())
        if scans.parse_gs1(code) and (problem := self.check_item(code)):
            self.wrong(problem)
            return
        if (lot or "").upper() != str(self.stop["lot"]).upper():
            self.wrong(
                scans.Problem("wrong_lot", "Wrong lot", str(self.stop["lot"]), f"Chosen: {lot}")
            )
            return
        self.lot = str(self.stop["lot"])
        if self.found:  # a short pick's units: the short goes on
            await self.after_short_item()
        else:
            await self.after_item()

    def after_qty(self) -> str:
        assert self.stop is not None
        return "tote" if self.slot_of(self.stop) is not None else "confirm"

    async def scan_qty(self, code: str) -> None:
        assert self.stop is not None
        if code and not is_qty(code):  # another scan of the item counts its units more
            if problem := self.check_item(code) or self.take_units(code):
                self.wrong(problem)
                return
            if self.count < self.remaining():
                self.render_step()
                return
        elif code:
            qty, problem = scans.check_qty(code, self.remaining())
            if problem:
                self.wrong(problem)
                return
            assert qty is not None
            self.count = qty
        else:
            self.count = self.remaining()
        self.step = self.after_qty()
        if self.step == "confirm":
            await self.confirm(None)
        else:
            self.render_step()

    async def scan_tote(self, code: str) -> None:
        assert self.stop is not None
        if problem := scans.check_tote(code, self.tote_of(self.stop)):
            self.wrong(problem)
            return
        await self.confirm(code)

    async def confirm(self, tote_scan: str | None) -> None:
        assert self.stop is not None and self.batch is not None
        stop, qty = self.stop, self.count
        body = {
            "location": self.location_scan,
            "item": self.item_scan,
            "qty": qty,
            "tote": tote_scan,
        }
        if self.lot:
            body["lot"] = self.lot
        self.here, self.here_scan = str(stop["location"]), self.location_scan
        # Local progress first, so the next stop shows without waiting for the network.
        stop["picked"] = int(stop.get("picked") or 0) + qty
        if stop["picked"] >= stop["qty"]:
            stop["status"] = "done"
        self.batch["status"] = "picking"
        await self.terminal.submit(
            f"/picking/tasks/{stop['task_id']}/confirm", body, f"Pick {qty} {stop['sku']}"
        )
        await self.save()
        self.next_action()

    # -- short pick ----------------------------------------------------------------
    def action_short(self) -> None:
        if self.stop is None or self.step not in ("location", "item", "lot", "qty", "tote"):
            return
        self.step = "short_qty"
        self.render_step()

    async def scan_short_qty(self, code: str) -> None:
        assert self.stop is not None
        if not code and 0 < self.count < self.remaining():
            code = str(self.count)  # Enter alone: what is in hand is all there was
        if not code.isdigit() or int(code) >= self.remaining():
            self.wrong(scans.Problem("bad_qty", "Less than asked", f"0-{self.remaining() - 1}"))
            return
        self.found = int(code)
        if self.found and not self.item_scan:
            self.step = "short_item"
        elif self.found and self.needs_lot(self.item_scan) and not self.lot:
            self.step = "lot"
        elif self.found and self.slot_of(self.stop) is not None:
            self.step = "short_tote"
        else:
            await self.send_short(None)
            return
        self.render_step()

    async def scan_short_item(self, code: str) -> None:
        assert self.stop is not None
        if problem := self.check_item(code):
            self.wrong(problem)
            return
        self.item_scan = code
        if self.needs_lot(code) and not self.lot:
            self.step = "lot"  # the units found are of one lot: which, before the tote
            self.render_step()
            return
        await self.after_short_item()

    async def after_short_item(self) -> None:
        assert self.stop is not None
        if self.slot_of(self.stop) is not None:
            self.step = "short_tote"
            self.render_step()
        else:
            await self.send_short(None)

    async def scan_short_tote(self, code: str) -> None:
        assert self.stop is not None
        if problem := scans.check_tote(code, self.tote_of(self.stop)):
            self.wrong(problem)
            return
        await self.send_short(code)

    async def send_short(self, tote_scan: str | None) -> None:
        assert self.stop is not None
        stop = self.stop
        item = self.item_scan or None
        if item and self.lot:
            item = scans.with_lot(item, self.lot)  # the short call has no `lot` of its own
        body = {
            "found": self.found,
            "item": item,
            "tote": tote_scan if self.found else None,
        }
        stop["picked"] = int(stop.get("picked") or 0) + self.found
        stop["status"] = "short"
        if self.location_scan:
            self.here, self.here_scan = str(stop["location"]), self.location_scan
        await self.terminal.submit(
            f"/picking/tasks/{stop['task_id']}/short", body, f"Short {stop['sku']}"
        )
        await self.save()
        self.next_action()

    # -- skip, pause, drop, back -----------------------------------------------------
    async def action_skip(self) -> None:
        if self.stop is None or self.batch is None or self.step not in ("location", "item"):
            return
        stop = self.stop
        self.here = ""
        self.batch["stops"].remove(stop)
        self.batch["stops"].append(stop)  # as the server does: the stop goes to the end
        stop["status"] = "skipped"
        await self.terminal.submit(f"/picking/tasks/{stop['task_id']}/skip", {}, "Skip")
        await self.save()
        self.next_action()

    async def action_pause(self) -> None:
        if self.batch is None or self.step in ("done", "idle"):
            return
        self.here = ""
        self.batch["status"] = "paused"
        await self.terminal.submit(f"/picking/batches/{self.batch['id']}/pause", {}, "Pause")
        await self.save()
        self.dismiss(None)

    def action_handover(self) -> None:
        if self.batch is not None and self.step in ("bind", "location", "drop"):
            self.resume_step = self.step
            self.step = "handover"
            self.render_step()

    async def scan_handover(self, code: str) -> None:
        """End of shift: the cart goes to the picker whose badge is scanned (paused for them)."""
        assert self.batch is not None and self.terminal.journal is not None
        if not code:
            return
        await self.terminal.submit(
            f"/picking/batches/{self.batch['id']}/handover", {"badge": code}, f"Hand over {code}"
        )
        await self.terminal.journal.forget("batch")
        self.batch = None
        self.dismiss(None)

    async def scan_drop(self, code: str) -> None:
        assert self.batch is not None
        drop = {
            "location": self.batch["drop_location"],
            "check_code": self.batch.get("drop_check_code"),
        }
        if problem := scans.check_location(code, drop):
            self.wrong(problem)
            return
        self.batch["status"] = "done"
        await self.terminal.submit(
            f"/picking/batches/{self.batch['id']}/finish", {"drop": code}, "Finish batch"
        )
        await self.save()
        self.next_action()

    def action_back(self) -> None:
        if self.step == "handover":
            self.step = self.resume_step
            self.render_step()
            return
        back = {
            "item": "location",
            "lot": "item",
            "qty": "item",
            "tote": "item",
            "short_qty": "location",
            "short_item": "location",
            "short_tote": "location",
        }
        if self.step in back:
            self.step = back[self.step]
            if self.step == "location":
                self.location_scan = self.here = ""
            self.item_scan = "" if self.step in ("location", "item") else self.item_scan
            self.count, self.lot = 0, ""
            self.render_step()
        else:
            self.dismiss(None)

    # -- answers from the server -------------------------------------------------------
    def adopt(self, view: dict[str, Any]) -> None:
        # Synchronous on purpose: no scan can slip in between the check and the change.
        self.batch = self.keep_fetched(view)
        self.run_worker(self.save(), group="save")
        # When the app is closing, its screens' widgets are gone: nothing is left to show.
        with contextlib.suppress(NoMatches):
            self.next_action()

    def journal_flushed(self, answers: list[Any], rejected: bool) -> None:
        self.stale = self.stale or rejected
        if self.batch is None or self.terminal.waiting or self.terminal.submitting:
            return  # local progress is ahead of any answer still in flight
        if self.stale:
            self.stale = False
            self.resync()
            return
        views = [
            a
            for a in answers
            if isinstance(a, dict) and a.get("id") == self.batch["id"] and "stops" in a
        ]
        if views and self.step in BOUNDARY:
            self.adopt(views[-1])
