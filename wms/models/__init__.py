"""Tables of the warehouse (SQLModel on SQLAlchemy 2); importing this registers them all."""

from wms.models.audit import AuditLog, StockCount
from wms.models.catalog import Barcode, CartonType, Product
from wms.models.channels import Channel, ChannelListing, InboundEvent
from wms.models.common import metadata
from wms.models.layout import Location
from wms.models.orders import OrderLine, SalesOrder
from wms.models.outbox import Outbox
from wms.models.stock import ProductAvailability, Stock, StockMove
from wms.models.users import ApiToken, Idempotency, User

# Floor tables register themselves on import.
from wms.models import backorder_history, money, order_work, picking, shipping, site, tracking  # noqa: E402, F401  isort: skip

__all__ = [
    "ApiToken",
    "AuditLog",
    "Barcode",
    "CartonType",
    "Channel",
    "ChannelListing",
    "Idempotency",
    "InboundEvent",
    "Location",
    "OrderLine",
    "Outbox",
    "Product",
    "ProductAvailability",
    "SalesOrder",
    "Stock",
    "StockCount",
    "StockMove",
    "User",
    "metadata",
]
