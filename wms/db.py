"""Engines and transactions: SQLite (WAL, BEGIN IMMEDIATE) by default, PostgreSQL in production.

One way to run a transaction: ``await db.run(fn, *args, **kwargs)``, where
``fn(session: Session, ...)`` is plain synchronous code. The transaction is the call: it
commits when ``fn`` returns and rolls back when it raises, so a problem raised halfway
leaves nothing changed. Services own their transactions; handlers call services.

What kind of transaction it is, is declared once on ``fn`` (the call site stays the same):

- unmarked: a short write (a scan, an intake, a move).
- ``@reads``: a read-only snapshot, no write lock.
- ``@long_reads``: a read that may take long (a report, the live board's re-read). On
  SQLite it runs in a worker thread: sqlite3 lets go of the GIL while it steps, so the
  event loop goes on serving scans beside it.
- ``@long_running``: a write that may take long (a site load, a CSV import, an outbox
  pass). On SQLite it runs in a worker thread, so the event loop goes on serving.
- ``@answers``: a request's last write; its result goes to the answer hooks before the
  commit, so a retried request's stored answer is committed with the change it answers.
- ``@background``: a write nobody waits for (a tracking poll's batch). On SQLite it waits
  before each transaction until no other write, of any process, is waiting for the writer
  (but no longer than its last transaction took), then runs in a worker thread: the floor's
  and the webhooks' writes go first.

A decorator is lost by ``functools.partial`` and lambdas: wrap them in a named function.

On SQLite a short write runs whole on the sqlite3 driver, right on the event loop, while
no other process is writing (the hop to a worker thread and back cost more than a short
transaction: 6.3 against 5.3 ms of server CPU an order in the flat-out intake bench). The
writers of one process queue on a FIFO lock, and the processes take turns on a file lock
(`WriterTurn`); when another process holds the turn, the write waits for it in a worker
thread instead. A read runs on the loop too: a WAL reader never waits for a lock. On
PostgreSQL ``fn`` runs on the async engine's connection (``AsyncSession.run_sync``), and
the kinds differ only in the answer hooks.

Nothing here is I/O besides the database: a network call (carrier, channel) never runs
inside ``fn``. A transaction that writes outbox rows says so (``outbox_written``, called by
``wms.services.outbox_rows.add``), and its commit wakes the outbox worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, sessionmaker

from wms.db_sqlite import Checkpointer, WriterTurn

SQLITE_PRAGMAS = (
    "journal_mode=WAL",
    "synchronous=NORMAL",
    "busy_timeout=30000",
    "foreign_keys=ON",
    # A commit that finds 1,000 pages in the log (the default) copies them into the
    # database and waits 20-70 ms for the fsyncs: one request in a few hundred. The
    # Checkpointer does that work beside the requests; a commit does it only when the log
    # reaches 8,000 pages (32 MB), under writes so steady that the Checkpointer never sees
    # the log empty enough to start it over.
    "wal_autocheckpoint=8000",
)


# A background write waits for the other writes at least this long (and as long as its last
# transaction took), looking every BACKGROUND_LOOK_S for another process's.
BACKGROUND_PATIENCE_S = 0.01
BACKGROUND_LOOK_S = 0.001

P = ParamSpec("P")
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

# How `Database.run` runs a function, declared on the function itself (see `reads`,
# `long_running`, `answers`): the call site stays `await db.run(fn, ...)` whatever the kind.
_KIND = "__wms_transaction__"


def reads(fn: F) -> F:
    """Mark `fn(session, ...)` as read-only: `db.run` gives it a snapshot, no write lock."""
    setattr(fn, _KIND, "read")
    return fn


def long_reads(fn: F) -> F:
    """Mark a read that may take long: on SQLite `db.run` runs it in a worker thread."""
    setattr(fn, _KIND, "long_read")
    return fn


def long_running(fn: F) -> F:
    """Mark a write that may take long: on SQLite `db.run` runs it in a worker thread."""
    setattr(fn, _KIND, "long")
    return fn


def answers(fn: F) -> F:
    """Mark a request's last write: its result is kept as the request's answer, pre-commit."""
    setattr(fn, _KIND, "answer")
    return fn


def background(fn: F) -> F:
    """Mark a write nobody waits for: on SQLite it yields the writer to every other write."""
    setattr(fn, _KIND, "background")
    return fn


# Set in a session's `info` by `outbox_written`: `Database` wakes the outbox worker after
# that transaction commits (and not at all if it rolls back).
OUTBOX_WRITTEN = "wms.outbox_written"


def outbox_written(session: Session) -> None:
    """Mark `session`'s transaction as one that wrote outbox rows: its commit wakes the worker."""
    session.info[OUTBOX_WRITTEN] = True


def _sqlite_engine(url: str, *, immediate: bool) -> AsyncEngine:
    path = make_url(url).database
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, pool_size=8, max_overflow=8)
    _sqlite_events(engine.sync_engine, immediate=immediate)
    return engine


def _sqlite_events(engine: Engine, *, immediate: bool) -> None:

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi: Any, _record: object) -> None:
        dbapi.isolation_level = None  # the driver must not BEGIN implicitly; we do
        cur = dbapi.cursor()
        for pragma in SQLITE_PRAGMAS:
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A write transaction takes the lock up front, so read-modify-write cannot
        # lose an update and a busy database waits instead of failing mid-way.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """One per process: a write engine and a read engine over the same database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.engine = _sqlite_engine(url, immediate=True)
            self.read_engine = _sqlite_engine(url, immediate=False)
            # The plain sqlite3 driver, for transactions run whole in one worker thread.
            self.thread_engine: Engine | None = create_engine(
                url.replace("+aiosqlite", ""),
                pool_size=2,
                max_overflow=2,
                connect_args={"check_same_thread": False},  # one thread at a time, any thread
            )
            _sqlite_events(self.thread_engine, immediate=True)
            self._thread_sessions = sessionmaker(self.thread_engine, expire_on_commit=False)
            # Reads in a worker thread too: WAL readers never wait for the writer.
            self.thread_read_engine: Engine | None = create_engine(
                url.replace("+aiosqlite", ""),
                pool_size=4,
                max_overflow=4,
                connect_args={"check_same_thread": False},
            )
            _sqlite_events(self.thread_read_engine, immediate=False)
            self._thread_read_sessions = sessionmaker(
                self.thread_read_engine, expire_on_commit=False
            )
            path = make_url(url).database
            on_disk = bool(path) and path != ":memory:"
            self.checkpointer = Checkpointer(path) if on_disk else None
            self.turn: WriterTurn | None = WriterTurn(path) if on_disk else None
        else:
            self.engine = create_async_engine(url, pool_size=10, max_overflow=20)
            self.read_engine = self.engine
            self.thread_engine = None
            self.thread_read_engine = None
            self.checkpointer = None
            self.turn = None
        self._write_sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = async_sessionmaker(self.read_engine, expire_on_commit=False)
        # SQLite has one writer at a time; queueing writers here is fair (FIFO) and
        # avoids the busy-handler's sleep-and-retry, which is what makes p99 jump.
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        # This process's writes waiting for or holding the writer, background ones aside,
        # and whether there are none: what a background write waits for (`_wanting`).
        self._wanting_writes = 0
        self._no_wanting_writes = asyncio.Event()
        self._no_wanting_writes.set()
        self._background_s = 0.0  # how long the last background transaction took
        # Called after the commit of a transaction marked by `outbox_written` (the worker's
        # wake-up). Only those: waking the worker after every terminal scan cost each scan a read.
        self.after_outbox_commit: list[Callable[[], None]] = []
        # Run first in every write transaction, and after each commit: how the retry key of
        # the request being served is claimed in the same transaction as its first write.
        self.write_preludes: list[Callable[[Session], None]] = []
        self.after_write_commit: list[Callable[[], None]] = []
        # Run before the commit of an `@answers` transaction, with its result: how a
        # request's answer is kept in the same transaction as the change it answers for.
        self.answer_hooks: list[Callable[[Session, Any], None]] = []

    def _prelude(self, session: Session) -> None:
        for prelude in self.write_preludes:
            prelude(session)

    def answered(self, session: Session, result: Any) -> None:
        """Hand a transaction's result, the request's answer, to the answer hooks (pre-commit)."""
        for hook in self.answer_hooks:
            hook(session, result)

    def _committed(self, wrote_outbox: bool) -> None:
        for hook in self.after_write_commit:
            hook()
        if wrote_outbox:
            for hook in self.after_outbox_commit:
                hook()

    async def run(
        self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `fn(session, ...)`, plain synchronous code, as one transaction.

        The kind is declared on `fn`: `@reads` (a snapshot), `@long_reads` (a snapshot in
        a worker thread on SQLite), `@long_running` (a worker thread on SQLite), `@answers`
        (the result kept as the request's answer), `@background` (after every other
        write); unmarked, a short write. See the module's docstring.
        """
        kind = getattr(fn, _KIND, "write")
        if kind == "long_read" and self.thread_read_engine is not None:
            return await asyncio.to_thread(self._sqlite_read, fn, args, kwargs)
        if kind in ("read", "long_read"):
            return await self._read(fn, args, kwargs)
        if kind == "background" and self._write_lock is not None:
            return await self._background(fn, args, kwargs)
        return await self._run(fn, args, kwargs, inline=kind != "long", answer=kind == "answer")

    async def _run(
        self, fn: Callable[..., T], args: Any, kwargs: Any, *, inline: bool, answer: bool = False
    ) -> T:
        if answer:
            fn = functools.partial(self._answering, fn)
        if self.thread_engine is None:
            async with self._write_sessions() as session:
                async with session.begin():
                    await session.run_sync(self._prelude)
                    result = await session.run_sync(lambda s: fn(s, *args, **kwargs))
                wrote = bool(session.info.pop(OUTBOX_WRITTEN, False))
        else:
            assert self._write_lock is not None
            with self._wanting():
                async with self._write_lock:
                    if inline and (self.turn is None or self.turn.take_now()):
                        result, wrote = self._transaction(fn, *args, **kwargs)
                    else:
                        result, wrote = await asyncio.to_thread(
                            self._run_in_thread, fn, *args, **kwargs
                        )
        self._committed(wrote)
        return result

    @contextlib.contextmanager
    def _wanting(self) -> Iterator[None]:
        """Count a write that waits for or holds the writer; the first says so to all processes."""
        if self._wanting_writes == 0:
            self._no_wanting_writes.clear()
            if self.turn is not None:
                self.turn.want()
        self._wanting_writes += 1
        try:
            yield
        finally:
            self._wanting_writes -= 1
            if self._wanting_writes == 0:
                if self.turn is not None:
                    self.turn.unwant()
                self._no_wanting_writes.set()

    async def _background(self, fn: Callable[..., T], args: Any, kwargs: Any) -> T:
        """A background write on SQLite: its turn once no other write wants one.

        It waits no longer than its last transaction took, though: when other writes never
        stop (the outbox draining what the poll wrote), it still has about half the writer,
        and a request waits at most one background transaction.
        """
        assert self._write_lock is not None
        until = time.monotonic() + max(self._background_s, BACKGROUND_PATIENCE_S)
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._no_wanting_writes.wait(), until - time.monotonic())
            # Another process's writes: look again shortly (a lock cannot be waited on with
            # a deadline, and this is work nobody waits for).
            while self.turn is not None and not self.turn.unwanted_now():
                if time.monotonic() >= until:
                    break
                await asyncio.sleep(BACKGROUND_LOOK_S)
            await self._write_lock.acquire()
            if self._wanting_writes == 0 or time.monotonic() >= until:
                break
            self._write_lock.release()  # one of ours came meanwhile: it goes first
        started = time.monotonic()
        try:
            result, wrote = await asyncio.to_thread(self._run_in_thread, fn, *args, **kwargs)
        finally:
            self._write_lock.release()
        self._background_s = time.monotonic() - started
        self._committed(wrote)
        return result

    async def _read(self, fn: Callable[..., T], args: Any, kwargs: Any) -> T:
        # On SQLite right here on the event loop: a reader of a WAL database never waits
        # for a lock, and the hop to a thread cost more than the read.
        if self.thread_read_engine is None:
            async with self._read_sessions() as session, session.begin():
                return await session.run_sync(lambda s: fn(s, *args, **kwargs))
        return self._sqlite_read(fn, args, kwargs)

    def _sqlite_read(self, fn: Callable[..., T], args: Any, kwargs: Any) -> T:
        with self._thread_read_sessions() as session, session.begin():
            return fn(session, *args, **kwargs)

    def _answering(self, fn: Callable[..., T], session: Session, *args: Any, **kwargs: Any) -> T:
        result = fn(session, *args, **kwargs)
        self.answered(session, result)
        return result

    def _run_in_thread(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T, bool]:
        if self.turn is not None:
            self.turn.take()
        return self._transaction(fn, *args, **kwargs)

    def _transaction(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T, bool]:
        """One write transaction on the sqlite3 driver; gives the turn (already taken) back.

        Returns the result and whether the transaction wrote outbox rows.
        """
        try:
            with self._thread_sessions() as session:
                with session.begin():
                    self._prelude(session)
                    result = fn(session, *args, **kwargs)
                return result, bool(session.info.pop(OUTBOX_WRITTEN, False))
        finally:
            if self.turn is not None:
                self.turn.give_back()

    async def dispose(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.stop()
        if self.turn is not None:
            self.turn.close()
            self.turn = None
        await self.engine.dispose()
        for engine in (self.thread_engine, self.thread_read_engine):
            if engine is not None:
                engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()


def sync_url(url: str) -> str:
    """The same database for synchronous tools (Alembic, `wms check`)."""
    return url.replace("+aiosqlite", "").replace("+asyncpg", "+psycopg")
