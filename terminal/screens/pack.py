"""The pack screen: draws `terminal.flows.pack` and runs its commands (journal, server, scale).

An order in several totes is packed once every tote is at the bench (each scanned). At 80×24
and wider the screen also lists the order's lines (full names, verified, left), the cartons
by number and the weight; the 20×16 layout is the handheld's. The flow decides every step;
this screen turns keys, scans and answers into its events and does the I/O it asks for.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.widgets import Digits, Static

from terminal.client import ApiError, Offline
from terminal.flows import pack
from terminal.flows.base import Key, Scan
from terminal.scanner import read_weight_g
from terminal.screens.base import FlowScreen
from terminal.widgets.panels import Banner, Hint

POLL_S, POLLS = 0.2, 25  # how often, and how long, a label's job is watched
WIDE = 80  # columns from which the packer's screen is a desk's, not a handheld's


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
        self.flow = pack.Pack()

    # What tests look at: the flow's state.
    @property
    def step(self) -> pack.Step:
        return self.flow.step

    @property
    def view(self) -> dict[str, Any] | None:
        return self.flow.view

    @property
    def carton(self) -> str:
        return self.flow.carton

    @property
    def weight(self) -> int | None:
        return self.flow.weight

    @property
    def parcel(self) -> dict[str, Any] | None:
        return self.flow.parcel

    def body(self) -> ComposeResult:
        yield Hint("", id="step")
        yield Banner("", id="banner")
        yield Digits("", id="digits")
        yield Hint("", id="info")
        yield Static("", id="table")

    def on_mount(self) -> None:
        super().on_mount()
        settings = self.terminal.settings
        self.flow = pack.Pack(station=settings.station, scale=bool(settings.scale))
        self.draw()

    def on_resize(self, event: events.Resize) -> None:
        self.draw()

    @property
    def wide(self) -> bool:
        return self.app.size.width >= WIDE

    @property
    def station(self) -> str:
        return self.terminal.settings.station

    # -- driving the flow ---------------------------------------------------------------
    def feed(self, event: pack.Event) -> list[pack.Command]:
        self.flow, commands = pack.advance(self.flow, event)
        with contextlib.suppress(NoMatches):  # the app is closing: nothing left to show
            self.draw()
        return commands

    async def run(self, event: pack.Event) -> None:
        for command in self.feed(event):
            await self.perform(command)

    async def perform(self, command: object) -> None:
        if isinstance(command, pack.StartOrder):
            self.start(command.code)
        elif isinstance(command, pack.ReadScale):
            self.read_scale()
        elif isinstance(command, pack.CloseParcel):
            self.close_parcel(command)
        elif isinstance(command, pack.FollowLabel):
            await self.follow_label(command.job_id)
        elif isinstance(command, pack.AskPrinter):
            await self.ask_printer()
        elif isinstance(command, pack.Reprint):
            self.reprint(command.parcel_id, command.label_missing)
        elif isinstance(command, pack.ShipItem):
            self.ship(command.scan, command.key)
        else:
            await super().perform(command)

    async def handle_scan(self, code: str) -> None:
        await self.run(Scan(code))

    async def action_ship_mode(self) -> None:
        await self.run(Key("ship_mode"))

    async def action_reprint(self) -> None:
        await self.run(Key("reprint"))

    async def action_back(self) -> None:
        await self.run(Key("back"))

    # -- drawing ----------------------------------------------------------------------------
    def draw(self) -> None:
        if shown := pack.show(self.flow, self.wide):
            self.say(shown.step, shown.banner, shown.info)
            self.query_one("#digits", Digits).update(shown.digits)
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
        if self.step in (pack.Step.WEIGHT, pack.Step.PRINTING, pack.Step.PACKED):
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

    # -- the server, the scale ----------------------------------------------------------------
    async def call(self, call: pack.Call, request: Any) -> Any:
        """The answer of a request, or None after telling the flow why there is none."""
        try:
            return await request
        except Offline:
            await self.run(pack.Failed(call, None))
        except ApiError as err:
            await self.run(pack.Failed(call, self.refusal(err)))
        return None

    @work(exclusive=True, group="pack")
    async def start(self, code: str) -> None:
        client = self.terminal.client

        async def both() -> tuple[dict[str, Any], dict[str, Any]]:
            return await client.pack_start(self.station, code), await client.station(self.station)

        answer = await self.call(pack.Call.START, both())
        if answer is not None:
            await self.run(pack.Started(code, *answer))

    @work(exclusive=True, group="pack")
    async def close_parcel(self, command: pack.CloseParcel) -> None:
        path = f"/packing/orders/{command.order_id}/parcels"
        request = self.terminal.client.request("POST", path, command.body, command.key)
        answer = await self.call(pack.Call.CLOSE, request)
        if answer is not None:
            await self.run(pack.Closed(answer))

    @work(exclusive=True, group="pack")
    async def reprint(self, parcel_id: int, label_missing: bool) -> None:
        query = "?label_missing=true" if label_missing else ""
        request = self.terminal.client.post(f"/packing/parcels/{parcel_id}/reprint{query}")
        answer = await self.call(pack.Call.REPRINT, request)
        if answer is not None:
            await self.run(pack.Reprinted(answer))

    @work(exclusive=True, group="pack")
    async def ship(self, code: str, key: str) -> None:
        body = {"station": self.station, "scan": code}
        request = self.terminal.client.post("/packing/scan-and-ship", body, key)
        answer = await self.call(pack.Call.SHIP, request)
        if answer is not None:
            await self.run(pack.Shipped(answer))

    @work(exclusive=True, group="scale")
    async def read_scale(self) -> None:
        try:
            grams: int | None = await asyncio.to_thread(read_weight_g, self.terminal.settings.scale)
        except OSError:
            grams = None
        await self.run(pack.Weighed(grams))

    async def follow_label(self, job_id: Any) -> None:
        """Watch the label's job until it ends (or the wait is over): the flow says what next."""
        job: dict[str, Any] = {"status": "queued"}
        for _ in range(POLLS if job_id is not None else 0):
            try:
                job = await self.terminal.client.print_job(job_id)
            except (Offline, ApiError):
                break
            if job["status"] in ("done", "failed", "unknown"):
                break
            await asyncio.sleep(POLL_S)  # the print server's pace, not a test's wait
        await self.run(pack.LabelSeen(job))

    async def ask_printer(self) -> None:
        try:
            printer = (await self.terminal.client.station(self.station)).get("label_printer") or {}
        except (Offline, ApiError):
            printer = {}
        await self.run(pack.PrinterSeen(printer))
