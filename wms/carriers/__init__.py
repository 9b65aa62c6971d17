"""Carriers behind one adapter interface: the built-in generic carrier, karrio optionally."""

from wms.carriers.base import CarrierAdapter, LabelRequest, LabelResult
from wms.carriers.generic import GenericCarrier
from wms.carriers.registry import adapter_for

__all__ = ["CarrierAdapter", "GenericCarrier", "LabelRequest", "LabelResult", "adapter_for"]
