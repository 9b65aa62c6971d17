"""Sales channels, their listings of our products, and webhook deliveries seen."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from wms.models.common import created_at_field, money_field, timestamp_field
from wms.secret_box import Sealed


class Channel(SQLModel, table=True):
    # Secrets, tokens and ciphers are `Sealed`: encrypted with the operator's key at rest.
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    kind: str = Field(max_length=16)
    name: str = Field(max_length=100)
    secret: str = Field(default="", sa_type=Sealed)
    app_key: str = Field(default="", sa_type=Sealed)  # WooCommerce's consumer key is a secret
    api_base_url: str = Field(default="", max_length=300)
    access_token: str = Field(default="", sa_type=Sealed)
    shop_id: str = Field(default="", max_length=100)
    shop_cipher: str = Field(default="", sa_type=Sealed)
    location_id: str = Field(default="", max_length=100)
    warehouse_id: str = Field(default="", max_length=100)
    buffer: int = 0  # units held back from this channel's sellable quantity
    fee_pct: Decimal = money_field()
    fee_fixed: Decimal = money_field()
    currency: str = Field(default="USD", max_length=3)
    active: bool = True
    # After a rotation the old secret still verifies webhooks until then: no downtime.
    previous_secret: str = Field(default="", sa_type=Sealed)
    previous_secret_until: datetime | None = timestamp_field()


class ChannelListing(SQLModel, table=True):
    """How a channel names one of our products (for stock pushes)."""

    __tablename__ = "channel_listing"
    __table_args__ = (UniqueConstraint("channel_id", "product_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(foreign_key="channel.id", index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    product_ref: str = Field(default="", max_length=64)
    variant_ref: str = Field(default="", max_length=64)
    active: bool = True  # a disabled listing is pushed zero: the shop stops selling it


class InboundEvent(SQLModel, table=True):
    """A webhook delivery, kept so a retried delivery is recognised and answered the same."""

    __tablename__ = "inbound_event"
    __table_args__ = (UniqueConstraint("channel_id", "event_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(foreign_key="channel.id")
    event_id: str = Field(max_length=120)
    topic: str = Field(default="", max_length=60)
    order_external_id: str = Field(default="", max_length=64)
    status: str = Field(default="done", max_length=16)  # pending (fetch due) | done | failed
    attempts: int = 0
    error: str = Field(default="", max_length=300)
    order_id: int | None = Field(default=None, foreign_key="sales_order.id")
    received_at: datetime = created_at_field()
