"""The loaded site: its layout, read from the database (where `wms load` put it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.db import Database, reads
from wms.domain.layout import Layout
from wms.errors import Conflict
from wms.models.site import SiteDocument

# A layout is built once per version loaded (its location list is computed lazily and kept).
_layouts: dict[tuple[str, datetime], Layout] = {}


@reads
def site_layout(s: Session) -> Layout:
    """The layout of the loaded site; `no_site` when nothing was loaded yet."""
    stamp = s.execute(
        select(SiteDocument.updated_at).where(SiteDocument.name == "layout")
    ).scalar_one_or_none()
    if stamp is None:
        raise Conflict("no_site", "No site loaded", "load a site first: wms load DIR")
    key = (str(s.bind.url) if s.bind is not None else "", stamp)  # one cache, many databases
    layout = _layouts.get(key)
    if layout is None:
        body: dict[str, Any] = s.execute(
            select(SiteDocument.body).where(SiteDocument.name == "layout")
        ).scalar_one()
        layout = Layout(body)
        if len(_layouts) >= 16:
            _layouts.clear()
        _layouts[key] = layout
    return layout


async def current_layout(db: Database) -> Layout:
    """`site_layout` from an async caller (API handlers)."""
    return await db.run(site_layout)
