"""The carrier adapter interface: a parcel in, a tracking number, SSCC and ZPL label out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from printers import Address
from wms.domain.tracking import Tracker


@dataclass(frozen=True)
class LabelRequest:
    """One parcel to label; ``parcel_id`` is unique and stable (adapters number by it)."""

    parcel_id: int
    order_ref: str
    sender: Address
    recipient: Address
    service: str
    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    parcel_index: int = 1
    parcel_count: int = 1
    dpi: int = 203
    # The parcel's SSCC as the site numbers it (its GS1 prefix): carriers that do not
    # number our logistic units print and return this one.
    sscc: str = ""


@dataclass(frozen=True)
class LabelResult:
    tracking: str
    sscc: str
    label_zpl: bytes
    tracking_url: str = ""
    # What the carrier charges for this label (None: it did not say), and its currency
    # ("": the merchant's reporting currency): the parcel's shipping cost in the margins.
    rate: Decimal | None = None
    rate_currency: str = ""


class CarrierAdapter(Protocol):
    """What the packing and shipping services need from a carrier."""

    code: str
    name: str  # as printed and told to channels when they take a free-text carrier

    def create_label(self, request: LabelRequest) -> LabelResult:
        """Book the parcel with the carrier; its label and tracking number.

        Blocking, and for a real carrier (karrio) a network call: packing calls it in a
        worker thread between two transactions (wms.services.packing_labels). The same
        ``parcel_id`` may be asked again (a retried close): an adapter books it as the
        same parcel (the generic carrier numbers by it, karrio sends it as the parcel's
        reference), so a retry does not buy a second label for another parcel.
        """
        ...

    def channel_carrier(self, channel_kind: str) -> str:
        """How a channel names this carrier in a tracking push (TikTok wants its own id)."""
        ...

    def track(
        self, numbers: Sequence[str], since: Mapping[str, datetime] | None = None
    ) -> list[Tracker]:
        """What the carrier knows of these parcels (``since``: their handover times).

        Blocking, a network call: run in a thread, outside any transaction.
        """
        ...
