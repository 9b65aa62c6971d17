"""The audit log: who did what to which thing, and the counts that wait for a supervisor."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON
from sqlmodel import Column, Field, SQLModel

from wms.models.common import created_at_field, timestamp_field


class AuditLog(SQLModel, table=True):
    """One line per security-relevant act: a refused login, an unlock, an approved count."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = created_at_field()
    actor: str = Field(default="", max_length=60)  # username, or "anonymous"
    action: str = Field(max_length=40, index=True)
    target: str = Field(default="", max_length=120)  # "badge:B1001", "count:12"
    detail: str = Field(default="", max_length=300)


class StockCount(SQLModel, table=True):
    """A floor count whose variance was beyond the bound: it waits for a supervisor.

    ``lines`` keeps what was counted and what the system held then, so the approval applies
    the differences found (stock moved meanwhile by picks stays right).
    """

    __tablename__ = "stock_count"

    id: int | None = Field(default=None, primary_key=True)
    location_id: int = Field(foreign_key="location.id")
    user_id: int | None = Field(default=None, foreign_key="user.id")
    status: str = Field(default="pending", max_length=12)  # pending | approved | rejected
    ref: str = Field(default="", max_length=120)
    lines: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = created_at_field()
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = timestamp_field()
