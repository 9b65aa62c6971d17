"""The running server's carriers follow the site: rebuilt when `wms load` changed them.

At start the registry is built from the carriers the site was loaded with (or the
``WMS_CARRIERS`` file). While it runs, a watcher reads one cheap stamp a second — the
loaded carriers' changed-at time (or the file's modification time) and the secrets file's
— and rebuilds the registry as a whole when it moved, so the next label goes to the new
account without a restart and without a query per label.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.carriers import registry as carriers
from wms.db import Database, reads
from wms.models.site import SiteDocument

log = logging.getLogger(__name__)

CHECK_EVERY_S = float(os.environ.get("WMS_CARRIERS_CHECK_S", "1.0"))


def _mtime(path: str) -> int:
    if not path:
        return 0  # no secrets file named (never Path(""), which is the working directory)
    try:
        return Path(path).stat().st_mtime_ns
    except OSError:
        return -1  # missing counts as a state too: its appearance is a change


@reads
def loaded_carriers(s: Session) -> tuple[dict[str, Any] | None, str]:
    """The loaded site's carriers.json (None when it had none) and when it was loaded."""
    row = s.execute(
        select(SiteDocument.body, SiteDocument.updated_at).where(SiteDocument.name == "carriers")
    ).first()
    if row is None:
        return None, ""
    return dict(row.body), row.updated_at.isoformat()


@reads
def loaded_stamp(s: Session) -> str:
    stamp = s.execute(
        select(SiteDocument.updated_at).where(SiteDocument.name == "carriers")
    ).scalar_one_or_none()
    return stamp.isoformat() if stamp is not None else ""


async def stamp(db: Database) -> tuple[str, int]:
    """What the configuration was built from, as cheaply as it can be read."""
    file = os.environ.get("WMS_CARRIERS")
    source = f"file {_mtime(file)}" if file else await db.run(loaded_stamp)
    return source, _mtime(carriers.current().secrets_file)


async def configure(db: Database) -> None:
    """Register the site's carriers: ``WMS_CARRIERS`` (a file) when set, else the carriers
    the site was loaded with, else the generic carrier alone."""
    if os.environ.get("WMS_CARRIERS"):
        carriers.configure(carriers.load(Path(os.environ["WMS_CARRIERS"])))
        return
    doc, loaded_at = await db.run(loaded_carriers)
    # A relative secrets file was resolved against the site folder by `wms load`.
    config = carriers.build(doc, os.environ, None, "site carriers") if doc else None
    config = config or carriers.SiteCarriers()
    config.loaded_from = f"site loaded {loaded_at}" if loaded_at else "built-in defaults"
    carriers.configure(config)


class CarrierWatch:
    """Rebuilds the registry when the stamp moves; a failed rebuild keeps the old one."""

    def __init__(self, db: Database, every_s: float = CHECK_EVERY_S) -> None:
        self.db, self.every_s = db, every_s
        self.seen: tuple[str, int] | None = None
        self._stop = asyncio.Event()

    async def start(self) -> None:
        """The first configuration (at server start), and the stamp it was built from."""
        self.seen = await stamp(self.db)
        await configure(self.db)
        self.seen = (self.seen[0], _mtime(carriers.current().secrets_file))

    async def check(self) -> bool:
        """Rebuild if the site's carriers changed since last seen; whether it did."""
        now = await stamp(self.db)
        if now == self.seen:
            return False
        await configure(self.db)
        self.seen = (now[0], _mtime(carriers.current().secrets_file))
        log.info("carriers reconfigured (%s)", carriers.current().loaded_from)
        return True

    async def run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.every_s)
            if self._stop.is_set():
                return
            try:
                await self.check()
            except Exception:  # a bad moment (database away): the old configuration stays
                log.exception("carriers: could not check for changes; keeping the running ones")

    def stop(self) -> None:
        self._stop.set()
