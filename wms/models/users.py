"""People and integrations who may call the API, and the replies kept for idempotent retries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from wms.models.common import created_at_field, timestamp_field


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=60, unique=True, index=True)
    name: str = Field(default="", max_length=120)
    role: str = Field(max_length=16)
    badge: str | None = Field(default=None, max_length=40, unique=True)
    pin_hash: str = Field(default="", max_length=200)
    # An office user's console password (scrypt, like the PIN); "" when none is set.
    password_hash: str = Field(default="", max_length=200)
    failed_logins: int = 0
    active: bool = True
    # Channel codes an integration acts on, comma-separated; empty: none.
    channels: str = Field(default="", max_length=300)


class ApiToken(SQLModel, table=True):
    """A bearer token, stored only as its SHA-256."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(default="", max_length=100)  # "login" for terminal sessions
    created_at: datetime = created_at_field()
    expires_at: datetime | None = timestamp_field()
    revoked: bool = False


class Idempotency(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    key: str = Field(max_length=100)
    request_hash: str = Field(max_length=64)
    status_code: int = 0  # 0 while the first request is still running
    response_body: bytes = b""
    content_type: str = Field(default="application/json", max_length=60)
    created_at: datetime = created_at_field()
