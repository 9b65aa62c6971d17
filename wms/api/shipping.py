"""Handover API: carrier manifests; a parcel scanned onto one is shipped, tracking pushed."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody

from wms.api.answers import answer
from wms.api.answers.shipping import HandedOver, ManifestView, ParcelView
from wms.api.deps import DbDep, UserDep
from wms.api.security import requires
from wms.services import shipping

IDEMPOTENT = {"idempotent": True}


class OpenManifest(msgspec.Struct, forbid_unknown_fields=True):
    carrier: Annotated[str, msgspec.Meta(max_length=40)] = "generic"


class ScanParcel(msgspec.Struct, forbid_unknown_fields=True):
    scan: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class ManifestController(Controller):
    path = "/api/v1"
    guards = [requires("packer", "supervisor")]
    tags = ["shipping"]

    @post("/manifests", status_code=201, opt=IDEMPOTENT)
    async def open_manifest(
        self, data: JSONBody[OpenManifest], db: DbDep, user: UserDep
    ) -> ManifestView:
        opened = await shipping.open_manifest_for(db, data.carrier, user.user_id)
        return answer(ManifestView, opened)

    @get("/manifests/{manifest_id:int}")
    async def manifest(self, manifest_id: FromPath[int], db: DbDep) -> ManifestView:
        return answer(ManifestView, await shipping.get_manifest(db, manifest_id))

    @post("/manifests/{manifest_id:int}/scan", status_code=200, opt=IDEMPOTENT)
    async def hand_over(
        self, manifest_id: FromPath[int], data: JSONBody[ScanParcel], db: DbDep, user: UserDep
    ) -> HandedOver:
        """Hand one parcel over (tracking number or SSCC scan)."""
        done = await shipping.scan_onto_manifest(db, manifest_id, data.scan, user.user_id)
        return answer(HandedOver, done)

    @post("/manifests/{manifest_id:int}/close", status_code=200, opt=IDEMPOTENT)
    async def close_manifest(self, manifest_id: FromPath[int], db: DbDep) -> ManifestView:
        return answer(ManifestView, await shipping.close_manifest_by_id(db, manifest_id))

    @get("/parcels/{parcel_id:int}")
    async def parcel(self, parcel_id: FromPath[int], db: DbDep) -> ParcelView:
        return answer(ParcelView, await shipping.get_parcel(db, parcel_id))


ROUTES: list[Any] = [ManifestController]
