"""Floor API: wave preview, release, cancel and look-ups; batches and their route drawing."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from wms.api.answers import answer
from wms.api.answers.waves import Cancelled, FloorException, Resolved, WaveDetail, WaveRow
from wms.api.deps import DbDep, UserDep
from wms.api.security import FLOOR, OFFICE, requires
from wms.db import Database
from wms.domain.bounds import Id
from wms.domain.layout import Geometry
from wms.domain.waves import DEFAULT_RULES, WaveRules
from wms.reports import exceptions
from wms.services import picking, site, wave_drawing, waves
from wms.services.picking.view import BatchView

Cap = Annotated[int, msgspec.Meta(ge=1, le=100_000)]
D = DEFAULT_RULES  # the planner's defaults, the only ones


class Rules(msgspec.Struct, forbid_unknown_fields=True):
    """Which orders go into the wave, and how big it may get (see `wms.domain.waves`)."""

    channels: list[str] = []
    carriers: list[str] = []
    cutoffs: dict[str, str] = {}
    ship_by_before: datetime | None = D.ship_by_before
    min_priority: Annotated[int, msgspec.Meta(ge=0, le=9)] = D.min_priority
    segment: str = D.segment
    order_ids: Annotated[list[Id], msgspec.Meta(max_length=5000)] = []
    max_orders: Cap = D.max_orders
    max_units: Cap = D.max_units
    max_batches: Annotated[int, msgspec.Meta(ge=1, le=1000)] = D.max_batches
    cart_totes: Annotated[int, msgspec.Meta(ge=1, le=64)] = D.cart_totes
    cart_articles: Cap = D.cart_articles
    bulk_min_orders: Annotated[int, msgspec.Meta(ge=2, le=10_000)] = D.bulk_min_orders
    seed: int = D.seed
    iterations: Annotated[int, msgspec.Meta(ge=0, le=10_000)] = D.iterations
    time_budget_s: Annotated[float, msgspec.Meta(gt=0, le=60)] = D.time_budget_s

    def to_rules(self) -> WaveRules:
        return WaveRules(
            **{
                **msgspec.structs.asdict(self),
                "channels": frozenset(self.channels),
                "carriers": frozenset(self.carriers),
                "order_ids": tuple(self.order_ids),
            }
        )


async def geometry(db: Database) -> Geometry:
    """The loaded site's walking geometry (its layout is kept in the database)."""
    return (await site.current_layout(db)).geometry


class WaveController(Controller):
    path = "/api/v1/waves"
    guards = [requires(*OFFICE)]
    tags = ["waves"]

    @post("/plan", status_code=200)
    async def plan(self, data: JSONBody[Rules], db: DbDep) -> waves.Preview:
        """A preview of the wave these rules would release now, with every open order it
        leaves out and why; changes nothing. Release it by its `preview_id`."""
        return await waves.preview(db, data.to_rules(), await geometry(db))

    @post("/", status_code=201, opt={"idempotent": True})
    async def release(self, data: JSONBody[Rules], db: DbDep, user: UserDep) -> waves.Release:
        """Plan and release a wave; `409 plan_stale` if its orders or stock changed meanwhile."""
        return await waves.release(db, data.to_rules(), await geometry(db), user.user_id)

    @post("/previews/{preview_id:str}/release", status_code=201, opt={"idempotent": True})
    async def release_preview(
        self, db: DbDep, user: UserDep, preview_id: FromPath[str]
    ) -> waves.Release:
        """Release a wave exactly as previewed; `409 plan_stale` if anything it relied on
        changed since, `404 unknown_preview` once it is released, expired or not ours."""
        return await waves.release(db, preview_id, await geometry(db), user.user_id)

    @post("/{wave_id:int}/cancel", status_code=200, opt={"idempotent": True})
    async def cancel(self, db: DbDep, wave_id: FromPath[int]) -> Cancelled:
        return answer(Cancelled, await waves.cancel(db, wave_id))

    @get("/")
    async def list_waves(
        self, db: DbDep, limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50
    ) -> list[WaveRow]:
        return answer(list[WaveRow], await waves.list_waves(db, limit))

    @get("/{wave_id:int}")
    async def get_wave(self, db: DbDep, wave_id: FromPath[int]) -> WaveDetail:
        return answer(WaveDetail, await waves.get_wave(db, wave_id))


class BatchController(Controller):
    path = "/api/v1/batches"
    guards = [requires(*FLOOR)]
    tags = ["waves"]

    @get("/{batch_id:int}")
    async def get_batch(self, db: DbDep, batch_id: FromPath[int]) -> BatchView:
        # The floor's batch view: typed as a Struct by the picking service (s's branch).
        return await picking.get_batch(db, batch_id)

    @get("/{batch_id:int}/route.svg", media_type="image/svg+xml")
    async def route_svg(self, db: DbDep, batch_id: FromPath[int]) -> Response[str]:
        layout = await site.current_layout(db)
        svg = await wave_drawing.batch_svg(db, layout, batch_id)
        return Response(svg, media_type="image/svg+xml")


class ExceptionController(Controller):
    path = "/api/v1/exceptions"
    guards = [requires(*OFFICE)]
    tags = ["waves"]

    @get("/")
    async def list_exceptions(
        self, db: DbDep, status: FromQuery[str | None] = "open"
    ) -> list[FloorException]:
        """Short picks that could not be re-allocated, and other floor trouble."""
        return answer(list[FloorException], await picking.exceptions(db, status or None))

    @get("/no-address")
    async def address_exceptions(self, db: DbDep) -> list[exceptions.AddressException]:
        """Open orders no wave takes until their ship-to address is complete, and why."""
        return await db.run(exceptions.address_exceptions)

    @post("/{exception_id:int}/resolve", status_code=200, opt={"idempotent": True})
    async def resolve(self, db: DbDep, user: UserDep, exception_id: FromPath[int]) -> Resolved:
        return answer(Resolved, await picking.resolve_exception(db, exception_id, user.user_id))


ROUTES: list[Any] = [WaveController, BatchController, ExceptionController]
