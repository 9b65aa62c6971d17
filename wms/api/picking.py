"""Floor API: picking a cart batch, as docs/floor-api.md describes it for the terminal."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody

from wms.api.deps import DbDep, SettingsDep, UserDep
from wms.api.security import FLOOR, requires
from wms.api.waves import geometry
from wms.services import picking
from wms.services.auth import Principal
from wms.services.picking import BatchView, Picker, ToteContents

Scan = Annotated[str, msgspec.Meta(max_length=200)]
IDEMPOTENT = {"idempotent": True}
PICKING = ("picker", "supervisor")


class BindTote(msgspec.Struct, forbid_unknown_fields=True):
    slot: Annotated[int, msgspec.Meta(ge=1, le=64)]
    tote: Scan


class Confirm(msgspec.Struct, forbid_unknown_fields=True):
    location: Scan
    item: Scan
    tote: Scan
    # Units taken; null: what the scanned barcode stands for (a case of 6 is 6 units).
    qty: Annotated[int, msgspec.Meta(ge=1, le=100_000)] | None = None
    # The lot the picker chose (a lot barcode or the keypad list) when the scan has none.
    lot: Annotated[str, msgspec.Meta(max_length=40)] | None = None


class Short(msgspec.Struct, forbid_unknown_fields=True):
    found: Annotated[int, msgspec.Meta(ge=0, le=100_000)]
    item: Scan | None = None
    tote: Scan | None = None


class Handover(msgspec.Struct, forbid_unknown_fields=True):
    badge: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


class Finish(msgspec.Struct, forbid_unknown_fields=True):
    drop: Scan


def _picker(user: Principal) -> Picker:
    return Picker(user.user_id, user.role)


class PickingController(Controller):
    path = "/api/v1/picking"
    guards = [requires(*PICKING)]
    tags = ["picking"]

    @post("/next", status_code=200, opt=IDEMPOTENT)
    async def next_batch(self, db: DbDep, user: UserDep) -> BatchView:
        return await picking.next_batch(db, _picker(user))

    @get("/batches/{batch_id:int}")
    async def get_batch(self, db: DbDep, batch_id: FromPath[int]) -> BatchView:
        return await picking.get_batch(db, batch_id)

    @post("/batches/{batch_id:int}/totes", status_code=200, opt=IDEMPOTENT)
    async def bind_tote(
        self, data: JSONBody[BindTote], db: DbDep, user: UserDep, batch_id: FromPath[int]
    ) -> BatchView:
        return await picking.bind_tote(db, batch_id, data.slot, data.tote, _picker(user))

    @post("/tasks/{task_id:int}/confirm", status_code=200, opt=IDEMPOTENT)
    async def confirm(
        self, data: JSONBody[Confirm], db: DbDep, user: UserDep, task_id: FromPath[int]
    ) -> BatchView:
        return await picking.confirm(
            db,
            task_id,
            location=data.location,
            item=data.item,
            qty=data.qty,
            tote=data.tote,
            picker=_picker(user),
            lot=data.lot,
        )

    @post("/tasks/{task_id:int}/short", status_code=200, opt=IDEMPOTENT)
    async def short(
        self,
        data: JSONBody[Short],
        db: DbDep,
        settings: SettingsDep,
        user: UserDep,
        task_id: FromPath[int],
    ) -> BatchView:
        return await picking.short(
            db,
            await geometry(db),
            task_id,
            found=data.found,
            item=data.item,
            tote=data.tote,
            picker=_picker(user),
        )

    @post("/tasks/{task_id:int}/skip", status_code=200, opt=IDEMPOTENT)
    async def skip(self, db: DbDep, user: UserDep, task_id: FromPath[int]) -> BatchView:
        return await picking.skip(db, task_id, _picker(user))

    @post("/batches/{batch_id:int}/pause", status_code=200, opt=IDEMPOTENT)
    async def pause(self, db: DbDep, user: UserDep, batch_id: FromPath[int]) -> BatchView:
        return await picking.pause(db, batch_id, _picker(user))

    @post("/batches/{batch_id:int}/resume", status_code=200, opt=IDEMPOTENT)
    async def resume(self, db: DbDep, user: UserDep, batch_id: FromPath[int]) -> BatchView:
        return await picking.resume(db, batch_id, _picker(user))

    @post("/batches/{batch_id:int}/handover", status_code=200, opt=IDEMPOTENT)
    async def handover(
        self, data: JSONBody[Handover], db: DbDep, user: UserDep, batch_id: FromPath[int]
    ) -> BatchView:
        return await picking.handover(db, batch_id, data.badge, _picker(user))

    @post("/batches/{batch_id:int}/finish", status_code=200, opt=IDEMPOTENT)
    async def finish(
        self, data: JSONBody[Finish], db: DbDep, user: UserDep, batch_id: FromPath[int]
    ) -> BatchView:
        return await picking.finish(db, batch_id, data.drop, _picker(user))


class ToteController(Controller):
    path = "/api/v1/totes"
    guards = [requires(*FLOOR)]
    tags = ["picking"]

    @get("/{code:str}")
    async def get_tote(self, db: DbDep, code: FromPath[str]) -> ToteContents:
        """What a tote holds: its order (or a bulk batch's units) and where it stands."""
        return await picking.tote_contents(db, code)


ROUTES: list[Any] = [PickingController, ToteController]
