"""Pack at a station: scan tote or order, verify items, carton, weight, close; the label prints.

An order in several totes is packed once every tote is at the bench (each scanned). At 80×24
and wider the screen also lists the order's lines (full names, verified, left), the cartons
by number and the weight; the 20×16 layout is the handheld's.

Verifications are journaled like picks. Closing a parcel needs the server's answer (tracking
number, label job), so it is sent directly, with one Idempotency-Key kept for the parcel: a
retry after a lost answer cannot create a second parcel.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Digits, Static

from terminal import scans
from terminal.client import ApiError, Offline, new_key
from terminal.scanner import read_weight_g
from terminal.screens.base import FlowScreen
from terminal.screens.pick import is_qty, short
from terminal.widgets.panels import Banner, Hint

POLL_S, POLLS = 0.2, 25
WIDE = 80  # columns from which the packer's screen is a desk's, not a handheld's


def totes_of(view: dict[str, Any]) -> list[tuple[str, bool, str]]:
    """(tote, scanned at this bench?, where it is) for every tote the order is in.

    The server's Pack view lists `totes` as `{"tote","location","on_cart","scanned"}` and the
    ones still to come in `totes_missing`; [] from a server without `totes`.
    """
    missing = {str(x).upper() for x in view.get("totes_missing") or []}
    found: list[tuple[str, bool, str]] = []
    for item in view.get("totes") or []:
        code = str(item.get("tote") or "").upper()
        if not code:
            continue
        where = "on a cart" if item.get("on_cart") else str(item.get("location") or "")
        found.append((code, bool(item.get("scanned")) and code not in missing, where))
    return found


class PackScreen(FlowScreen):
    """One order (or scan-and-ship stream) at the configured station."""

    KEYS = "F4 Back F6 Ship mode F7 Reprint"
    HELP = "Scan the tote or order, scan each item, take the carton, weigh, Enter."
    BINDINGS = [
        Binding("f6", "ship_mode", "Scan+ship", priority=True),
        Binding("f7", "reprint", "Reprint", priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view: dict[str, Any] | None = None
        self.step = "start"
        self.carton = ""
        self.weight: int | None = None
        self.close_key = ""
        self.parcel: dict[str, Any] | None = None
        self.station_scale = False
        self.ship_retry = ("", "")
        self.start_scan = ""
        self.back_to = "packed"  # where the "Label out?" question returns to

    def body(self) -> ComposeResult:
        yield Hint("", id="step")
        yield Banner("", id="banner")
        yield Digits("", id="digits")
        yield Hint("", id="info")
        yield Static("", id="table")

    def on_mount(self) -> None:
        super().on_mount()
        self.render_step()

    def on_resize(self, event: events.Resize) -> None:
        self.render_step()

    @property
    def wide(self) -> bool:
        return self.app.size.width >= WIDE

    def show(self, step: str, banner: str, digits: str = "", info: str = "") -> None:
        self.say(step, banner, info)
        self.query_one("#digits", Digits).update(digits)

    @property
    def station(self) -> str:
        return self.terminal.settings.station

    def lines_left(self) -> list[dict[str, Any]]:
        assert self.view is not None
        return [line for line in self.view["lines"] if line["verified"] < line["picked"]]

    def render_step(self) -> None:
        self.render_steps()
        table = self.query_one("#table", Static)
        table.update(self.desk() if self.wide and self.view is not None else "")

    def desk(self) -> Group:
        """The order at a glance: every line (our names, full), verified and left; cartons."""
        assert self.view is not None
        grid = Table(box=None, pad_edge=False, expand=True, show_edge=False)
        grid.add_column("SKU", no_wrap=True)
        grid.add_column("Product", ratio=1)
        for head in ("Qty", "Verified", "Left"):
            grid.add_column(head, justify="right", no_wrap=True)
        for line in self.view["lines"]:
            left = int(line["picked"]) - int(line["verified"])
            grid.add_row(
                str(line["sku"]),
                str(line.get("name") or ""),
                str(line["picked"]),
                str(line["verified"]),
                str(left) if left else "ok",
            )
        grid.add_row("", "", "", "", "")
        if self.step in ("weight", "printing", "packed"):
            weight = f"{self.weight} g" if self.weight else "type grams"
            grid.add_row("Parcel", f"{self.carton} · {weight}", "", "", "")
        # The cartons by number, four to a row: a number never wraps away from its carton.
        boxes = Table(box=None, pad_edge=False, show_header=False, show_edge=False)
        cells = [
            f"{i} {c}{'*' if c == self.view.get('suggested_carton') else ''}"
            for i, c in enumerate(self.view.get("cartons") or [], 1)
        ]
        for _ in range(min(4, len(cells))):
            boxes.add_column(no_wrap=True, min_width=14)
        for row in range(0, len(cells), 4):
            boxes.add_row(*cells[row : row + 4])
        return Group(grid, Text("Cartons (* suggested)"), boxes)

    def render_steps(self) -> None:
        if self.step == "start":
            self.show(f"Pack at {self.station}", "SCAN TOTE/ORDER", "", "F6: scan and ship")
        elif self.step == "ship":
            self.show("Scan and ship", "SCAN ITEM", "", "label prints at once")
        elif self.step == "totes":
            assert self.view is not None
            totes = totes_of(self.view)
            todo = [code for code, scanned, _ in totes if not scanned]
            # Every tote, and where each one still to come waits: the packer fetches them all.
            listed = "\n".join(
                f"{code} {'ok' if scanned else where or 'scan'}" for code, scanned, where in totes
            )
            self.show(
                f"{self.view['reference']} in {len(totes)} totes",
                f"SCAN TOTE {todo[0]}" if todo else "ALL TOTES HERE",
                str(len(todo)),
                listed + "\nEnter: ask again",
            )
        elif self.step == "verify":
            assert self.view is not None
            left = self.lines_left()
            todo = sum(line["picked"] - line["verified"] for line in left)
            name = str(left[0]["name"])
            self.show(
                f"{self.view['reference']} items",
                name if self.wide else short(name),
                str(todo),
                f"{left[0]['sku']} scan each",
            )
        elif self.step == "carton":
            assert self.view is not None
            choices = " ".join(f"{i}:{c}" for i, c in enumerate(self.view["cartons"], 1))
            self.show(
                "Carton (Enter=OK)", self.carton, "", "number or code" if self.wide else choices
            )
        elif self.step == "weight":
            typed = not self.station_scale and self.weight is None
            self.show(
                f"Weight {self.carton}",
                "TYPE GRAMS" if typed else f"{self.weight or 0} g",
                str(self.weight or ""),
                "Enter to close" if not typed else "then Enter",
            )
        elif self.step == "label_out":
            self.show("Check printer", "LABEL OUT?", "", "1 yes / 2 no")
        elif self.step == "printing":
            self.show("Closing parcel", "PRINTING…", "", "")
        elif self.step == "packed":
            assert self.parcel is not None
            self.show(
                "Label printed",
                "PUT LABEL ON",
                str(self.parcel.get("number") or ""),
                f"{self.parcel['tracking']}\nEnter: next  F7 reprint",
            )

    async def handle_scan(self, code: str) -> None:
        if self.step == "start" and code:
            self.start(code)
        elif self.step == "totes":
            self.scan_tote(code)
        elif self.step in ("ship", "ship_packed") and code:
            self.ship(code)
        elif self.step == "verify" and code:
            await self.verify(code)
        elif self.step == "carton":
            self.choose_carton(code)
        elif self.step == "weight":
            self.take_weight(code)
        elif self.step == "label_out":
            self.label_out(code)
        elif self.step == "packed":
            if self.view is not None and self.view.get("status") != "done" and self.lines_left():
                self.step = "verify"  # the next parcel of the same order
            else:
                self.view, self.parcel, self.step = None, None, "start"
                self.start_scan = ""
            self.render_step()

    # -- order -------------------------------------------------------------------------
    @work(exclusive=True, group="pack")
    async def start(self, code: str) -> None:
        try:
            self.view = await self.terminal.client.pack_start(self.station, code)
            station = await self.terminal.client.station(self.station)
        except Offline:
            self.terminal.note_offline(True)
            self.problem("Server unreachable", "", "Packing needs the server")
            return
        except ApiError as err:
            self.api_problem(err)
            return
        self.station_scale = bool(station.get("scale"))
        self.start_scan = self.start_scan if self.step == "totes" else code
        self.carton = self.view.get("suggested_carton") or ""
        self.after_totes()
        printer = station.get("label_printer") or {}
        if printer.get("status") not in (None, "ready"):
            # Said before the packing, not after the parcel is closed: fix it while verifying.
            self.problem(
                f"Printer {printer['status']}",
                str(printer.get("message") or ""),
                "Labels wait until it is fixed",
            )

    def after_totes(self) -> None:
        """Packing starts once every tote the order is in has been scanned at the bench."""
        assert self.view is not None
        totes = totes_of(self.view)
        if len(totes) > 1 and any(not scanned for _, scanned, _ in totes):
            self.step = "totes"
            self.render_step()
            return
        self.step = "verify" if self.lines_left() else "carton"
        self.render_step()

    def scan_tote(self, code: str) -> None:
        assert self.view is not None
        if not code:
            self.start(self.start_scan)  # Enter: ask the server again (a tote has arrived?)
            return
        totes = {tote: scanned for tote, scanned, _ in totes_of(self.view)}
        if code.upper() not in totes:
            todo = [tote for tote, scanned in totes.items() if not scanned]
            self.problem("Not this order's", " ".join(todo), f"Scanned: {code}")
            return
        if totes[code.upper()]:
            self.after_totes()  # scanned already
            return
        # The server marks the tote scanned at this bench (start with another tote adds it).
        self.start(code)

    async def verify(self, code: str) -> None:
        assert self.view is not None
        line = next((x for x in self.lines_left() if scans.is_item(code, x)), None)
        if line is None:
            known = next((x for x in self.view["lines"] if scans.is_item(code, x)), None)
            expected = self.lines_left()[0]
            self.problem(
                "Too many" if known else "Not in this order",
                str(expected.get("name") or expected["sku"]),
                f"Scanned: {known['name'] if known else code}",
            )
            return
        units = scans.pack_qty(code, line)
        left = int(line["picked"]) - int(line["verified"])
        if units > left:
            self.problem("Pack too big", f"{left} left", f"pack of {units}: scan units")
            return
        line["verified"] += units
        await self.terminal.submit(
            f"/packing/orders/{self.view['order_id']}/verify", {"scan": code}, f"Pack {line['sku']}"
        )
        if not self.lines_left():
            self.step = "carton"
            self.carton = self.view.get("suggested_carton") or self.view["cartons"][0]
        self.render_step()

    def choose_carton(self, code: str) -> None:
        assert self.view is not None
        cartons: list[str] = self.view["cartons"]
        # A number or a code chooses that carton for real: the weight is asked next.
        if is_qty(code) and 1 <= int(code) <= len(cartons):
            self.carton = cartons[int(code) - 1]
        elif code.upper() in cartons:
            self.carton = code.upper()
        elif code:
            self.problem("Unknown carton", " ".join(cartons))
            return
        self.step, self.weight, self.close_key = "weight", None, new_key()
        if self.terminal.settings.scale:
            self.read_scale()
        self.render_step()

    @work(exclusive=True, group="scale")
    async def read_scale(self) -> None:
        try:
            self.weight = await asyncio.to_thread(read_weight_g, self.terminal.settings.scale)
        except OSError:
            self.weight = None
        self.render_step()

    def take_weight(self, code: str) -> None:
        if code:
            if not is_qty(code) or int(code) < 1:
                self.problem("Type grams", "e.g. 812")
                return
            self.weight = int(code)
        elif self.weight is None and not self.station_scale:
            self.problem("Type grams", "e.g. 812")
            return
        self.close_parcel()

    @work(exclusive=True, group="pack")
    async def close_parcel(self) -> None:
        assert self.view is not None
        self.step = "printing"
        self.render_step()
        body = {"carton": self.carton, "weight_g": self.weight}
        try:
            answer = await self.terminal.client.request(
                "POST", f"/packing/orders/{self.view['order_id']}/parcels", body, self.close_key
            )
        except Offline:
            self.terminal.note_offline(True)
            self.step = "weight"  # same key on retry: at most one parcel
            self.render_step()
            self.problem("Server unreachable", "", "Enter to try again")
            return
        except ApiError as err:
            self.step = "weight"
            self.render_step()
            self.api_problem(err)
            return
        self.parcel, self.view = answer["parcel"], answer["view"]
        await self.follow_label(self.parcel.get("label_job"))

    # -- labels ----------------------------------------------------------------------
    async def follow_label(self, job_ref: Any) -> None:
        """Wait for the label to print; a printer fault is shown with what to do."""
        # The server gives the job as an object ({"id", "status", …}); an id alone also works.
        job_id = job_ref.get("id") if isinstance(job_ref, dict) else job_ref
        job: dict[str, Any] = {"status": "queued"}
        for _ in range(POLLS if job_id is not None else 0):
            try:
                job = await self.terminal.client.print_job(job_id)
            except (Offline, ApiError):
                break
            if job["status"] in ("done", "failed", "unknown"):
                break
            await asyncio.sleep(POLL_S)
        self.step = "packed"
        self.render_step()
        if job["status"] == "done":
            return
        if job["status"] == "unknown":
            # It may have printed: look before reprinting, so a label never comes out twice.
            self.problem("Check printer", "", "Did the label come out?\nF7 asks before a reprint")
            return
        try:
            printer = (await self.terminal.client.station(self.station)).get("label_printer") or {}
        except (Offline, ApiError):
            printer = {}
        status = str(printer.get("status") or "")
        if job["status"] != "failed" and not job.get("error") and status in ("", "ready"):
            return  # only slow: the label is still on its way
        # A faulty printer keeps the job queued and retries it; a failed one needs a reprint.
        fault = status if status not in ("", "ready") else str(job["status"])
        todo = str(printer.get("message") or job.get("error") or "Check the printer")
        then = "then F7 to reprint" if job["status"] == "failed" else "it prints when fixed"
        self.problem(f"Printer {fault}", todo, then)

    async def action_reprint(self) -> None:
        if self.parcel is not None:
            self.reprint(int(self.parcel["id"]))

    @work(exclusive=True, group="pack")
    async def reprint(self, parcel_id: int, label_missing: bool = False) -> None:
        query = "?label_missing=true" if label_missing else ""
        try:
            answer = await self.terminal.client.post(f"/packing/parcels/{parcel_id}/reprint{query}")
        except ApiError as err:
            if err.code == "label_may_have_printed":
                self.back_to, self.step = self.step, "label_out"  # ask the packer first
                self.render_step()
                return
            self.problem(err.title)
            return
        except Offline:
            self.problem("Server unreachable")
            return
        self.step = "printing"
        self.render_step()
        await self.follow_label(answer["job"].get("id"))

    def label_out(self, code: str) -> None:
        """The packer looked at the printer: 1 the label is out (nothing printed, nothing
        marked), 2 it is not (the server marks the first job failed and prints once more)."""
        assert self.parcel is not None
        if code == "1":
            self.step = self.back_to
            self.render_step()
            self.say("Label is out", "PUT LABEL ON", str(self.parcel.get("tracking") or ""))
        elif code == "2":
            self.step = self.back_to
            self.reprint(int(self.parcel["id"]), label_missing=True)
        else:
            self.problem("Type 1 or 2", "1 yes / 2 no", "Label out?")

    # -- scan and ship ----------------------------------------------------------------
    def action_ship_mode(self) -> None:
        if self.step in ("start", "ship", "packed", "ship_packed"):
            self.step = "ship" if self.step in ("start", "packed") else "start"
            self.render_step()

    @work(exclusive=True, group="pack")
    async def ship(self, code: str) -> None:
        # The same item scanned again after a lost answer reuses its key: one parcel only.
        if self.ship_retry[0] != code:
            self.ship_retry = (code, new_key())
        try:
            answer = await self.terminal.client.post(
                "/packing/scan-and-ship",
                {"station": self.station, "scan": code},
                self.ship_retry[1],
            )
        except Offline:
            self.terminal.note_offline(True)
            self.problem("Server unreachable", "", "Scan again when online")
            return
        except ApiError as err:
            self.ship_retry = ("", "")
            self.api_problem(err)
            return
        self.ship_retry = ("", "")
        self.parcel = answer["parcel"]
        self.step = "printing"
        self.render_step()
        await self.follow_label(self.parcel.get("label_job"))
        if self.step == "packed":
            self.say(f"{answer['reference']} shipped", "PUT LABEL ON", self.parcel["tracking"])
            self.step = "ship_packed"

    def action_back(self) -> None:
        if self.step == "weight":
            self.step = "carton"  # choose another carton
            self.render_step()
        elif self.step == "carton":
            self.step = "verify" if self.view and self.lines_left() else "carton"
            self.render_step()
        else:
            self.dismiss(None)
