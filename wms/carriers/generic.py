"""The built-in generic carrier: UPS-style 1Z tracking numbers and GS1 SSCCs, labels from printers.

No network: numbers come from the parcel id, so they are unique and the check digits are
right by construction (printers.identifiers). Good for the demo, tests, and carriers that
take a pre-numbered label range.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from printers import CarrierLabelData, render_carrier_label
from printers.identifiers import sscc, ups_check_digit
from wms.carriers.base import LabelRequest, LabelResult

SERVICE_CODES = {"ground": "03", "express": "01", "standard": "11", "": "03"}


@dataclass(frozen=True)
class GenericCarrier:
    code: str = "generic"
    name: str = "WMS Post"
    shipper: str = "5R8939"  # 6 characters of the 1Z number
    gs1_prefix: str = "0614141"  # GS1 company prefix for SSCCs (GS1's documentation example)
    sscc_extension: str = "0"
    tracking_url_format: str = "https://track.example.com/{tracking}"
    # Per channel kind, the carrier id a tracking push names (TikTok: shipping_provider_id).
    channel_ids: dict[str, str] = field(default_factory=lambda: {"tiktok": "6617675021119438849"})

    def tracking_number(self, parcel_id: int, service: str = "") -> str:
        code = SERVICE_CODES.get(service.lower(), "03")
        body = f"{self.shipper}{code}{parcel_id % 10_000_000:07d}"
        return f"1Z{body}{ups_check_digit(body)}"

    def sscc(self, parcel_id: int) -> str:
        return sscc(self.sscc_extension, self.gs1_prefix, parcel_id)

    def channel_carrier(self, channel_kind: str) -> str:
        return self.channel_ids.get(channel_kind, self.name)

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
        url = self.tracking_url_format.format(tracking=tracking)
        return LabelResult(tracking, code, label, url)


GENERIC = GenericCarrier()
