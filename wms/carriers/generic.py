"""The generic carrier: the site's own tracking numbers and GS1 SSCCs, labels from printers.

It ships what no configured carrier account takes (a courier collecting pre-numbered labels,
the demo, tests). Its numbers are its own, never another carrier's format: the site's
2-letter prefix, a service digit, the parcel id and a GS1 mod-10 key
(printers.identifiers.own_tracking). No network: numbers come from the parcel id, so they
are unique and their check digits right by construction. Its name is the site's
(carriers.json, ``generic.name``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from printers import CarrierLabelData, render_carrier_label
from printers.identifiers import is_valid_own_tracking, own_tracking, sscc
from wms.carriers.base import LabelRequest, LabelResult
from wms.domain.tracking import Tracker, TrackingEventIn, TrackingStatus
from wms.models.common import utcnow

# The demo's parcel story: one step every ``simulate_minutes`` after the handover.
_STORY = (
    (TrackingStatus.PICKED_UP, "Collected at the warehouse", "Warehouse dock"),
    (TrackingStatus.IN_TRANSIT, "Sorted, on its way", "Sort centre"),
    (TrackingStatus.OUT_FOR_DELIVERY, "Out for delivery", "Delivery depot"),
    (TrackingStatus.DELIVERED, "Delivered", ""),
)

# The service digit of a tracking number, by the order's service name.
SERVICE_DIGITS = {"": 1, "ground": 1, "standard": 1, "economy": 2, "express": 3, "next_day": 4}

# The generic carrier's price list unless carriers.json gives its own (``generic.rates``:
# ``[[max_grams, "price"], ...]``): a parcel pays the first band its weight fits, a heavier
# one the last band's price; in the merchant's reporting currency.
DEFAULT_RATES: tuple[tuple[int, Decimal], ...] = (
    (1000, Decimal("3.90")), (2000, Decimal("5.40")), (5000, Decimal("7.90")),
    (10000, Decimal("11.50")), (30000, Decimal("17.00")),
)  # fmt: skip


@dataclass(frozen=True)
class GenericCarrier:
    code: str = "generic"
    name: str = "Own Delivery"
    prefix: str = "WH"  # 2 letters that start every tracking number of this site
    gs1_prefix: str = "0614141"  # GS1 company prefix for SSCCs (GS1's documentation example)
    sscc_extension: str = "0"
    tracking_url_format: str = "https://track.example.com/{tracking}"
    # Per channel kind, the carrier id a tracking push names (TikTok: shipping_provider_id).
    channel_ids: dict[str, str] = field(default_factory=lambda: {"tiktok": "6617675021119438849"})
    # A simulated tracker for the demo: None, no tracking after the handover (a courier
    # without one); n, the parcel moves one state every n minutes (0: all at once).
    simulate_minutes: float | None = None
    rates: tuple[tuple[int, Decimal], ...] = DEFAULT_RATES

    def __post_init__(self) -> None:
        own_tracking(self.prefix, 1, 0)  # a bad prefix fails at configuration, not at packing
        sscc(self.sscc_extension, self.gs1_prefix, 0)

    def tracking_number(self, parcel_id: int, service: str = "") -> str:
        digit = SERVICE_DIGITS.get(service.lower(), 1)
        return own_tracking(self.prefix, digit, parcel_id % 10**10)

    def sscc(self, parcel_id: int) -> str:
        return sscc(self.sscc_extension, self.gs1_prefix, parcel_id)

    def rate(self, weight_g: int) -> Decimal | None:
        """The price of a parcel of this weight (None when the site set no rates)."""
        for max_g, price in self.rates:
            if weight_g <= max_g:
                return price
        return self.rates[-1][1] if self.rates else None

    def channel_carrier(self, channel_kind: str) -> str:
        return self.channel_ids.get(channel_kind, self.name)

    def tracking_url(self, tracking: str) -> str:
        url = self.tracking_url_format
        return url.format(tracking=tracking) if url else ""

    def track(
        self, numbers: Sequence[str], since: Mapping[str, datetime] | None = None
    ) -> list[Tracker]:
        """The simulated tracker (``since``: each number's handover time)."""
        return simulate(self, numbers, since or {}, utcnow())

    def create_label(self, request: LabelRequest) -> LabelResult:
        tracking = self.tracking_number(request.parcel_id, request.service)
        code = self.sscc(request.parcel_id)
        to = request.recipient
        data = CarrierLabelData(
            sender=request.sender,
            recipient=request.recipient,
            carrier=self.name,
            service=request.service or "Ground",
            routing_code=f"{to.postal_code[:3] or '000'} {to.country}",
            tracking_number=tracking,
            sscc=code,
            weight_g=request.weight_g,
            order_ref=request.order_ref,
            parcel_index=request.parcel_index,
            parcel_count=request.parcel_count,
        )
        label = render_carrier_label(data, dpi=request.dpi)
        return LabelResult(
            tracking, code, label, self.tracking_url(tracking), rate=self.rate(request.weight_g)
        )


GENERIC = GenericCarrier()


def simulate(
    carrier: GenericCarrier, numbers: Sequence[str], since: Mapping[str, datetime], now: datetime
) -> list[Tracker]:
    """The simulated tracker's answer at ``now``: the steps due since each handover."""
    if carrier.simulate_minutes is None:
        return []
    step = timedelta(minutes=carrier.simulate_minutes)
    out = []
    for number in numbers:
        start = since.get(number)
        if start is None or not is_valid_own_tracking(number, carrier.prefix):
            continue  # not one of ours: a carrier knows nothing of others' numbers
        events = tuple(
            TrackingEventIn(f"sim-{i}", start + step * i, status, text, place, f"S{i}")
            for i, (status, text, place) in enumerate(_STORY)
            if start + step * i <= now
        )
        out.append(Tracker(number, events, start + step * (len(_STORY) - 1)))
    return out
