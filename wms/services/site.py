"""The loaded site: its layout, read from the database (where `wms load` put it)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.carriers import registry as carriers
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


@reads
def site_carriers(s: Session) -> dict[str, Any] | None:
    """The loaded site's carriers.json (sender, generic carrier, accounts), if it had one."""
    body = s.execute(
        select(SiteDocument.body).where(SiteDocument.name == "carriers")
    ).scalar_one_or_none()
    return dict(body) if body is not None else None


async def configure_carriers(db: Database) -> None:
    """Register the site's carriers: ``WMS_CARRIERS`` (a file) when set, else the carriers
    the site was loaded with, else the generic carrier alone."""
    if os.environ.get("WMS_CARRIERS"):
        carriers.configure(carriers.load(Path(os.environ["WMS_CARRIERS"])))
        return
    doc = await db.run(site_carriers)
    config = carriers.parse(doc, os.environ, "site carriers") if doc else carriers.SiteCarriers()
    carriers.configure(config)
