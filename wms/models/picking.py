"""Tables of the floor: waves, cart batches, their slots and pick tasks, totes, exceptions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from wms.models.common import created_at_field, timestamp_field


class Wave(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(default="released", max_length=12, index=True)  # released|done|cancelled
    rules: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    orders: int = 0
    units: int = 0
    distance_m: float = 0.0
    est_seconds: float = 0.0
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at_field()
    cancelled_at: datetime | None = timestamp_field()


class PickBatch(SQLModel, table=True):
    """One cart trip. `picker_id` is set by a conditional UPDATE, so it is claimed once."""

    __tablename__ = "pick_batch"

    id: int | None = Field(default=None, primary_key=True)
    wave_id: int = Field(foreign_key="wave.id", index=True)
    # released (nobody yet) | assigned | picking | paused | done | cancelled
    status: str = Field(default="released", max_length=12, index=True)
    kind: str = Field(default="cart", max_length=8)  # cart | bulk
    picker_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    distance_m: float = 0.0
    est_seconds: float = 0.0
    route: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    drop_location_id: int | None = Field(default=None, foreign_key="location.id")
    created_at: datetime = created_at_field()
    assigned_at: datetime | None = timestamp_field()
    finished_at: datetime | None = timestamp_field()


class PickSlot(SQLModel, table=True):
    """A cart position: one order's tote (cart batch) or the bulk tote (order_id null)."""

    __tablename__ = "pick_slot"
    __table_args__ = (UniqueConstraint("batch_id", "slot"),)

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="pick_batch.id", index=True)
    slot: int
    order_id: int | None = Field(default=None, foreign_key="sales_order.id", index=True)
    tote: str | None = Field(default=None, max_length=20)


class PickTask(SQLModel, table=True):
    """A stop: take `qty` of a product (and lot) from a location. Σ qty per line = allocated."""

    __tablename__ = "pick_task"
    __table_args__ = (
        CheckConstraint("qty >= 0 AND picked >= 0 AND picked <= qty", name="pick_task_qty"),
    )

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="pick_batch.id", index=True)
    seq: int
    location_id: int = Field(foreign_key="location.id")
    stock_id: int = Field(foreign_key="stock.id")
    product_id: int = Field(foreign_key="product.id")
    lot: str = Field(default="", max_length=40)
    qty: int
    picked: int = 0
    shorted: int = 0  # units not found, written off (qty was reduced by as many)
    slot: int | None = None  # None: a bulk stop, sorted at packing
    status: str = Field(default="open", max_length=12)  # open|done|short|skipped|cancelled
    picked_by: int | None = Field(default=None, foreign_key="user.id")
    picked_at: datetime | None = timestamp_field()


class PickTaskLine(SQLModel, table=True):
    """Which order lines a task serves: one for a cart stop, several for a bulk stop."""

    __tablename__ = "pick_task_line"
    __table_args__ = (UniqueConstraint("task_id", "order_line_id"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="pick_task.id", index=True)
    order_line_id: int = Field(foreign_key="order_line.id", index=True)
    qty: int
    picked: int = 0


class Tote(SQLModel, table=True):
    """A reusable tote. It belongs to a batch while picked into, then to its order until packed.

    Packing frees it (order_id and batch_id back to null).
    """

    code: str = Field(primary_key=True, max_length=20)
    batch_id: int | None = Field(default=None, foreign_key="pick_batch.id")
    order_id: int | None = Field(default=None, foreign_key="sales_order.id", index=True)
    location_id: int | None = Field(default=None, foreign_key="location.id")
    updated_at: datetime = created_at_field()


class FloorException(SQLModel, table=True):
    """Something a supervisor must look at: a short pick, a location to count."""

    __tablename__ = "floor_exception"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)  # short_pick | count_task
    status: str = Field(default="open", max_length=10, index=True)  # open | resolved
    batch_id: int | None = Field(default=None, foreign_key="pick_batch.id")
    task_id: int | None = Field(default=None, foreign_key="pick_task.id")
    order_id: int | None = Field(default=None, foreign_key="sales_order.id")
    product_id: int | None = Field(default=None, foreign_key="product.id")
    location_id: int | None = Field(default=None, foreign_key="location.id")
    qty: int = 0
    message: str = Field(default="", max_length=300)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at_field()
    # Who closed it (null with a resolution: the system, when the cause went away) and how.
    resolved_by: int | None = Field(default=None, foreign_key="user.id")
    resolved_at: datetime | None = timestamp_field()
    resolution: str = Field(default="", max_length=300)
