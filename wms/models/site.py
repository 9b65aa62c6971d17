"""The loaded site's own documents (its layout), kept in the database once `wms load` ran."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from wms.models.common import created_at_field


class SiteDocument(SQLModel, table=True):
    """One document of the site by name: ``layout`` is the layout.json it was loaded from."""

    __tablename__ = "site_document"

    name: str = Field(primary_key=True, max_length=40)
    body: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = created_at_field()
