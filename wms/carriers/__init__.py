"""Carriers behind one adapter interface: the built-in generic carrier, karrio optionally."""

from wms.carriers.base import CarrierAdapter, LabelRequest, LabelResult, adapter_for
from wms.carriers.generic import GenericCarrier

__all__ = ["CarrierAdapter", "GenericCarrier", "LabelRequest", "LabelResult", "adapter_for"]
