"""Answers of the handover routes: parcels, their print jobs, carrier manifests."""

from __future__ import annotations

from wms.api.answers import Answer


class PrintJobView(Answer):
    id: int
    status: str
    printer: str
    error: str | None
    kind: str
    ref: str
    attempts: int
    reprint_of: int | None


class ParcelView(Answer):
    id: int
    number: int
    order_id: int
    carton: str
    weight_g: int
    carrier: str
    tracking: str | None
    sscc: str | None
    label_job: PrintJobView | None
    slip_job_id: int | None
    status: str


class ManifestParcel(Answer):
    id: int
    order_id: int
    tracking: str | None
    sscc: str | None


class ManifestView(Answer):
    id: int
    carrier: str
    status: str
    parcels: list[ManifestParcel]
    count: int


class HandedOver(Answer):
    parcel: ParcelView
    order_status: str | None
    manifest: ManifestView
