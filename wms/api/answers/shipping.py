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


class PrinterStatusView(Answer):
    url: str
    status: str
    message: str


class ScaleView(Answer):
    url: str


class StationView(Answer):
    code: str
    label_printer: PrinterStatusView
    document_printer: PrinterStatusView | None
    scale: ScaleView | None


class PrinterOverview(Answer):
    """A printer's last known status and its jobs waiting, failed or of unknown fate."""

    url: str
    status: str
    message: str
    checked_at: str | None
    queued: int
    failed: int
    unknown: int


class Reprinted(Answer):
    job: PrintJobView
    created: bool
