"""Small SQL helpers that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session


def dialect_name(session: AsyncSession | Session) -> str:
    return session.bind.dialect.name  # type: ignore[union-attr]


def upsert(session: AsyncSession | Session, table: Any) -> Any:
    """An INSERT that knows ON CONFLICT on both engines."""
    return upsert_on(dialect_name(session), table)


def upsert_on(dialect: str, table: Any) -> Any:
    """`upsert` by dialect name, for statements built once and kept."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def least(session: AsyncSession | Session, *args: Any) -> Any:
    return (func.least if dialect_name(session) == "postgresql" else func.min)(*args)
