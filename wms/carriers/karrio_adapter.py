"""Real carriers through karrio (the optional `karrio` extra plus a connector, e.g. karrio-ups).

The carrier's API gives the tracking number and the label (asked as ZPL, so it prints on
the same Zebra as the generic label); the SSCC stays ours (GS1 prefix), since carriers do
not number our logistic units. karrio is synchronous: the call runs in a thread.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from printers import Address
from wms.carriers.base import LabelRequest, LabelResult
from wms.carriers.generic import GenericCarrier
from wms.domain.tracking import Tracker, TrackingEventIn, status_of
from wms.errors import WmsError


class CarrierError(WmsError):
    """The carrier refused the shipment or could not be reached; nothing was booked."""

    status = 502


def _address(a: Address) -> dict[str, Any]:
    return {
        "person_name": a.name,
        "address_line1": a.lines[0] if a.lines else "",
        "address_line2": a.lines[1] if len(a.lines) > 1 else "",
        "postal_code": a.postal_code,
        "city": a.city,
        "state_code": a.region or None,
        "country_code": a.country,
        "phone_number": a.phone or None,
    }


@dataclass
class KarrioCarrier:
    """One carrier account through karrio: ``KarrioCarrier("ups", "ups", {...credentials})``."""

    code: str
    carrier_name: str  # karrio's connector name: ups, dhl_express, colissimo, ...
    settings: dict[str, Any]
    service: str = ""  # karrio service code, e.g. ups_standard; "" = the order's service
    cache: Any = None  # karrio.lib.Cache, e.g. holding an OAuth token (tests)
    channel_ids: dict[str, str] = field(default_factory=dict)
    # The order's service (lower case) -> karrio service code; unmapped: ``service``.
    services: dict[str, str] = field(default_factory=dict)
    name: str = ""  # as printed and pushed; the connector's name in capitals by default
    _gateway: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.name = self.name or self.carrier_name.upper()

    def service_for(self, order_service: str) -> str:
        return self.services.get(order_service.lower()) or self.service or order_service

    @property
    def gateway(self) -> Any:
        if self._gateway is None:
            import karrio.sdk as karrio

            self._gateway = karrio.gateway[self.carrier_name].create(
                self.settings, cache=self.cache
            )
        return self._gateway

    def channel_carrier(self, channel_kind: str) -> str:
        return self.channel_ids.get(channel_kind, self.name)

    def create_label(self, r: LabelRequest) -> LabelResult:
        import karrio.sdk as karrio
        from karrio.core.errors import ShippingSDKDetailedError
        from karrio.core.models import ShipmentRequest

        shipment_request = ShipmentRequest(
            shipper=_address(r.sender),
            recipient=_address(r.recipient),
            parcels=[
                {
                    "weight": r.weight_g / 1000,
                    "weight_unit": "KG",
                    "length": r.length_mm / 10,
                    "width": r.width_mm / 10,
                    "height": r.height_mm / 10,
                    "dimension_unit": "CM",
                    "reference_number": str(r.parcel_id),
                }
            ],
            service=self.service_for(r.service),
            label_type="ZPL",
            reference=r.order_ref,
        )
        try:
            shipment, messages = (
                karrio.Shipment.create(shipment_request).from_(self.gateway).parse()
            )
        except Exception as exc:  # karrio wraps HTTP and parse failures in many types
            raise CarrierError("carrier_error", "Carrier unreachable", f"{exc!r}") from exc
        if shipment is None or not shipment.tracking_number or not shipment.docs.label:
            said = "; ".join(f"{m.code}: {m.message}" for m in messages) or "no label"
            # karrio turns its own failures (network, parsing) into messages with this code.
            if any(m.code == ShippingSDKDetailedError.code for m in messages):
                raise CarrierError("carrier_error", "Carrier unreachable", said)
            raise CarrierError("carrier_refused", "Carrier refused", said)
        return LabelResult(
            tracking=shipment.tracking_number,
            # Our logistic unit, numbered by the site (GS1 prefix), not by the carrier.
            sscc=r.sscc or GenericCarrier().sscc(r.parcel_id),
            label_zpl=base64.b64decode(shipment.docs.label),
            tracking_url=(shipment.meta or {}).get("carrier_tracking_link", ""),
            **_rate(shipment),
        )

    def track(
        self, numbers: Sequence[str], since: Mapping[str, datetime] | None = None
    ) -> list[Tracker]:
        """karrio's trackers for these numbers (one call per carrier batch)."""
        import karrio.sdk as karrio
        from karrio.core.models import TrackingRequest

        try:
            details, messages = (
                karrio.Tracking.fetch(TrackingRequest(tracking_numbers=list(numbers)))
                .from_(self.gateway)
                .parse()
            )
        except Exception as exc:  # karrio wraps HTTP and parse failures in many types
            raise CarrierError("carrier_error", "Carrier unreachable", f"{exc!r}") from exc
        if not details and messages:
            said = "; ".join(f"{m.code}: {m.message}" for m in messages)
            raise CarrierError("carrier_error", "Tracking failed", said)
        return [_tracker(d) for d in details or []]


def _tracker(d: Any) -> Tracker:
    events = tuple(_event(e) for e in d.events or [])
    eta = d.estimated_delivery
    return Tracker(
        str(d.tracking_number).upper(),
        tuple(sorted(events, key=lambda e: e.occurred_at)),
        datetime.fromisoformat(eta).replace(tzinfo=UTC) if eta else None,
    )


def _event(e: Any) -> TrackingEventIn:
    if e.timestamp:
        at = datetime.fromisoformat(e.timestamp.replace("Z", "+00:00")).astimezone(UTC)
    else:
        at = datetime.fromisoformat(e.date).replace(tzinfo=UTC)
    said = f"{e.timestamp or e.date}|{e.code}|{e.status}|{e.description}"
    return TrackingEventIn(
        key=hashlib.sha256(said.encode()).hexdigest()[:40],
        occurred_at=at,
        status=status_of(e.status or "unknown"),
        description=e.description or "",
        location=e.location or "",
        code=e.code or "",
    )


def _rate(shipment: Any) -> dict[str, Any]:
    """The charge karrio read from the carrier's answer (its selected rate), if it has one."""
    rate = getattr(shipment, "selected_rate", None)
    charge = getattr(rate, "total_charge", None)
    if charge is None:
        return {}
    return {"rate": Decimal(str(charge)), "rate_currency": str(rate.currency or "").upper()}
