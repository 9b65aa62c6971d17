"""Floor API: packing at a station, station and print-job status (docs/floor-api.md, Packing)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from wms.api.answers import answer
from wms.api.answers.shipping import PrinterOverview, PrintJobView, Reprinted, StationView
from wms.api.deps import DbDep, UserDep
from wms.api.security import requires
from wms.services import packing, packing_scan_ship, printing, stations
from wms.services.packing import ParcelClosed
from wms.services.packing_scan_ship import ScanShipped
from wms.services.packing_view import PackView

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
RawScan = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Weight = Annotated[int, msgspec.Meta(ge=1, le=stations.MAX_WEIGHT_G)]
PACKERS = ("packer", "supervisor")
IDEMPOTENT = {"idempotent": True}


class Start(msgspec.Struct, forbid_unknown_fields=True):
    station: Code
    scan: RawScan


class Verify(msgspec.Struct, forbid_unknown_fields=True):
    scan: RawScan


class CloseParcel(msgspec.Struct, forbid_unknown_fields=True):
    carton: Code
    weight_g: Weight | None = None


class ScanShip(msgspec.Struct, forbid_unknown_fields=True):
    station: Code
    scan: RawScan


class PackingController(Controller):
    path = "/api/v1/packing"
    guards = [requires(*PACKERS)]
    tags = ["packing"]

    @post("/start", status_code=200, opt=IDEMPOTENT)
    async def start(self, data: JSONBody[Start], db: DbDep, user: UserDep) -> PackView:
        return await packing.start_order(db, data.station, data.scan, user.user_id)

    @post("/orders/{order_id:int}/verify", status_code=200, opt=IDEMPOTENT)
    async def verify(self, order_id: FromPath[int], data: JSONBody[Verify], db: DbDep) -> PackView:
        return await packing.verify_item(db, order_id, data.scan)

    @post("/orders/{order_id:int}/parcels", status_code=201, opt=IDEMPOTENT)
    async def close_parcel(
        self, order_id: FromPath[int], data: JSONBody[CloseParcel], db: DbDep, user: UserDep
    ) -> ParcelClosed:
        return await packing.close_parcel_weighed(
            db, order_id, data.carton, data.weight_g, user.user_id
        )

    @post(
        "/parcels/{parcel_id:int}/reprint",
        status_code=201,
        opt=IDEMPOTENT,
        responses={200: ResponseSpec(Reprinted, description="Still waiting: not queued again")},
    )
    async def reprint(
        self, parcel_id: FromPath[int], db: DbDep, label_missing: FromQuery[bool] = False
    ) -> Response[Reprinted]:
        """A label whose printing was cut short (`unknown`) needs ``?label_missing=true``."""
        job, created = await packing.reprint_label(db, parcel_id, label_missing)
        # 200 when the label is still waiting to print: it was not queued a second time.
        reprinted = answer(Reprinted, {"job": job, "created": created})
        return Response(reprinted, status_code=201 if created else 200)

    @post("/scan-and-ship", status_code=201, opt=IDEMPOTENT)
    async def scan_and_ship(
        self, data: JSONBody[ScanShip], db: DbDep, user: UserDep
    ) -> ScanShipped:
        return await packing_scan_ship.scan_and_ship_item(db, data.station, data.scan, user.user_id)


class StationController(Controller):
    path = "/api/v1"
    guards = [requires(*PACKERS)]
    tags = ["packing"]

    @get("/stations/{code:str}")
    async def station(self, code: FromPath[str], db: DbDep) -> StationView:
        return answer(StationView, await stations.station_view(db, code))

    @get("/print-jobs/{job_id:int}")
    async def print_job(self, job_id: FromPath[int], db: DbDep) -> PrintJobView:
        return answer(PrintJobView, await printing.get_job(db, job_id))

    @get("/print-jobs", guards=[requires("supervisor")])
    async def print_jobs(
        self,
        db: DbDep,
        status: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> list[PrintJobView]:
        """For the supervisor: e.g. ``?status=failed`` lists labels that need a reprint."""
        return answer(list[PrintJobView], await printing.list_jobs(db, status, limit))

    @get("/printers", guards=[requires("supervisor")])
    async def printers(self, db: DbDep) -> list[PrinterOverview]:
        """For the supervisor: each printer's last status and its waiting and failed jobs."""
        return answer(list[PrinterOverview], await printing.printers_overview(db))


ROUTES: list[Any] = [PackingController, StationController]
