"""Live fragments for open boards: work events in, re-rendered fragments out by SSE.

Services note events after their commit (`wms.services.events`); each process hands them
to Litestar's channels (in memory on SQLite; PostgreSQL LISTEN/NOTIFY when processes share
a database, so a scan answered by one process moves a board served by another). One hub
per process listens on the channel, gathers what arrives within COALESCE_S, re-renders
only the fragments those events name, once, and gives the HTML to every open board here.
The re-read runs beside the event loop (`@long_reads`), and when a re-read grows long (a
spike day's thousands of open orders) the hub gathers longer, so that the boards never
take more than SHARE of the server's time from the scans.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

import asyncpg
from litestar import Litestar
from litestar.channels import ChannelsBackend, ChannelsPlugin
from litestar.channels.backends.asyncpg import AsyncPgChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.response.sse import ServerSentEventMessage
from sqlalchemy.engine import make_url

from wms.db import long_reads
from wms.models.common import utcnow
from wms.reports import exceptions, floor
from wms.services import events

log = logging.getLogger(__name__)

CHANNEL = "floor"
COALESCE_S = 0.1  # a burst of scans is one re-render, still far inside the 1 s promise
SHARE = 0.1  # the wait after a re-read is at least nine times as long as the re-read took
MAX_WAIT_S = 0.5  # ... but no longer than this: a board shows a scan within the 1 s promise
FRAGMENTS = {
    "pick": ("board", "cutoffs"),
    "batch": ("board", "cutoffs"),
    "wave": ("board", "cutoffs", "alerts"),  # a release takes orders off the lists
    "pack": ("board", "cutoffs"),
    "ship": ("board", "cutoffs"),
    "print": ("alerts",),
    "count": ("alerts",),
    "order": ("alerts",),
}
ALL = ("board", "cutoffs", "alerts")


class PgChannels(AsyncPgChannelsBackend):
    """Litestar's LISTEN/NOTIFY backend, but publishing on one kept connection.

    The stock backend opens a connection for every publish: a connection per scan.
    """

    def __init__(self, dsn: str) -> None:
        super().__init__(dsn=dsn)
        self._dsn = dsn
        self._pub: asyncpg.Connection | None = None
        self._pub_lock = asyncio.Lock()

    async def publish(self, data: bytes, channels: Any) -> None:
        async with self._pub_lock:
            if self._pub is None or self._pub.is_closed():
                self._pub = await asyncpg.connect(self._dsn)
            for channel in channels:
                await self._pub.execute("SELECT pg_notify($1, $2)", channel, data.decode())

    async def on_shutdown(self) -> None:
        if self._pub is not None:
            await self._pub.close()
        await super().on_shutdown()


def asyncpg_dsn(database_url: str) -> str:
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def channels_plugin(database_url: str) -> ChannelsPlugin:
    backend: ChannelsBackend = (
        MemoryChannelsBackend()
        if database_url.startswith("sqlite")
        else PgChannels(asyncpg_dsn(database_url))
    )
    return ChannelsPlugin(backend=backend, channels=[CHANNEL])


class Hub:
    """This process's open boards and what to send them."""

    def __init__(self, app: Litestar) -> None:
        self.app = app
        self.clients: set[asyncio.Queue[list[ServerSentEventMessage]]] = set()
        self._dirty: set[str] = set()
        self._flush: asyncio.Task[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Any = None
        self.seq = 0
        self._render_s = 0.0  # how long the last re-read and render took

    @property
    def channels(self) -> ChannelsPlugin:
        return self.app.plugins.get(ChannelsPlugin)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._unsubscribe = events.subscribe(self._publish, loop)
        subscriber = await self.channels.subscribe([CHANNEL])
        self._task = asyncio.create_task(self._listen(subscriber))

    def _publish(self, event: dict[str, Any]) -> None:
        self.channels.publish(json.dumps(event), [CHANNEL])

    async def stop(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
        for task in (self._task, self._flush):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _listen(self, subscriber: Any) -> None:
        async for raw in subscriber.iter_events():
            try:
                event = json.loads(raw)
            except ValueError:
                continue
            self.seq += 1
            self._dirty.update(FRAGMENTS.get(event.get("kind", ""), ()))
            if event.get("short"):
                self._dirty.add("alerts")
            if self._flush is None or self._flush.done():
                self._flush = asyncio.create_task(self._flush_later())

    def wait_s(self) -> float:
        """How long to gather events before the next re-read."""
        return min(MAX_WAIT_S, max(COALESCE_S, self._render_s * (1 - SHARE) / SHARE))

    async def _flush_later(self) -> None:
        await asyncio.sleep(self.wait_s())
        names, self._dirty = self._dirty, set()
        if not self.clients or not names:
            return
        started = time.perf_counter()
        try:
            messages = await self.render(names)
        except Exception:
            log.exception("board fragments not rendered")
            return
        finally:
            self._render_s = time.perf_counter() - started
        for queue in list(self.clients):
            queue.put_nowait(messages)

    async def render(self, names: set[str] | tuple[str, ...]) -> list[ServerSentEventMessage]:
        ctx = await self.app.state.db.run(_context, set(names))
        engine = self.app.template_engine
        assert engine is not None
        return [
            ServerSentEventMessage(
                event=name,
                data=engine.get_template(f"fragments/{name}.html").render(**ctx),
                id=self.seq,
            )
            for name in ALL
            if name in names
        ]

    def join(self) -> asyncio.Queue[list[ServerSentEventMessage]]:
        queue: asyncio.Queue[list[ServerSentEventMessage]] = asyncio.Queue()
        self.clients.add(queue)
        return queue

    def leave(self, queue: asyncio.Queue[list[ServerSentEventMessage]]) -> None:
        self.clients.discard(queue)


@long_reads
def _context(s: Any, names: set[str]) -> dict[str, Any]:
    """What the named fragments need, read in one snapshot."""
    now = utcnow()
    ctx: dict[str, Any] = {"now": now}
    if "board" in names:
        ctx["waves"] = floor.open_waves(s, now)
    if "cutoffs" in names:
        ctx["cut"] = floor.cutoffs(s, now)
    if "alerts" in names:
        ctx["alerts"] = exceptions.counts(s, now)
    return ctx
