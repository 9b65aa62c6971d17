"""Look into (or touch) the server's database from a test, beside the running servers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from wms.db import Database, reads

T = TypeVar("T")


class Peek:
    """One Database and one event loop for a test's many short looks (polling included)."""

    def __init__(self, database_url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.db = Database(database_url)

    def read(self, fn: Callable[..., T], *args: Any) -> T:
        return self.loop.run_until_complete(self.db.run(_read, fn, *args))

    def write(self, fn: Callable[..., T], *args: Any) -> T:
        return self.loop.run_until_complete(self.db.run(fn, *args))

    def close(self) -> None:
        self.loop.run_until_complete(self.db.dispose())
        self.loop.close()

    def __enter__(self) -> Peek:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@reads
def _read(s: Session, fn: Callable[..., T], *args: Any) -> T:
    """`fn` on a read-only snapshot, whatever kind `fn` itself is marked."""
    return fn(s, *args)
