"""The outbox worker's owner id and the lock that says it is alive while its process lives.

A worker holds a lock for its whole life (a PostgreSQL advisory lock on a connection of
its own; on SQLite a flock on a file beside the database), which the operating system or
PostgreSQL drops the moment its process dies: its leases can then be released at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import random

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from wms.db import Database

# PostgreSQL advisory locks are (class, object) pairs: the class names ours ("WMS").
LOCK_CLASS = 0x574D53


class LeaseOwner:
    """A worker's owner id and the lock that says it is alive while its process lives."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.id = random.randint(1, 2**31 - 1)
        self._held = False
        self._fd: int | None = None
        self._conn: AsyncConnection | None = None
        url = getattr(db, "url", "")  # (unit tests hand the worker no database)
        path = make_url(url).database if url.startswith("sqlite") else None
        self._folder = path if path and path != ":memory:" else None

    def _file(self, owner: int) -> str:
        return f"{self._folder}-lease-{owner}"

    async def hold(self) -> None:
        """Take the owner lock (once): from now on our leases count as a live worker's."""
        if self._held:
            return
        if not self.db.is_sqlite:
            self._conn = await self.db.engine.connect()
            await self._conn.execute(
                text("SELECT pg_advisory_lock(:c, :o)"), {"c": LOCK_CLASS, "o": self.id}
            )
            await self._conn.commit()  # the lock is the session's: it outlives the transaction
        elif self._folder is not None:
            self._fd = os.open(self._file(self.id), os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        self._held = True

    async def release(self) -> None:
        if self._conn is not None:
            # Closed for good, not handed back to the pool: the lock is the session's, and a
            # pooled session would keep it (and this owner alive) after we stop.
            with contextlib.suppress(Exception):  # a dropped connection has let go already
                await self._conn.invalidate()
                await self._conn.close()
            self._conn = None
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._file(self.id))
            os.close(self._fd)
            self._fd = None
        self._held = False

    def dead_on_sqlite(self, owners: set[int]) -> set[int]:
        """The owners among `owners` whose lock file nobody holds (their process is gone)."""
        if self._folder is None:  # a database in memory lives in this process alone
            return owners
        dead = set()
        for owner in owners:
            try:
                fd = os.open(self._file(owner), os.O_RDWR)
            except FileNotFoundError:
                dead.add(owner)
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # held: that worker is alive
            finally:
                os.close(fd)  # also lets go of the lock, if we took it
            dead.add(owner)
            with contextlib.suppress(OSError):
                os.unlink(self._file(owner))
        return dead
