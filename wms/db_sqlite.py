"""SQLite beside its engine: the log's checkpointer and the writers' turn across processes."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading

CHECKPOINT_EVERY_S = 0.5


class Checkpointer:
    """Copies SQLite's write-ahead log into the database file, beside the requests.

    PASSIVE: it never waits for, nor blocks, a reader or a writer; what it cannot copy now
    it copies on a later round. sqlite3 releases the GIL while it writes and syncs.
    """

    def __init__(self, path: str, every_s: float = CHECKPOINT_EVERY_S) -> None:
        self.path, self.every_s = path, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            while not self._stop.wait(self.every_s):
                self._checkpoint(conn)
            self._checkpoint(conn)
        finally:
            conn.close()

    @staticmethod
    def _checkpoint(conn: sqlite3.Connection) -> None:
        # A failure (the file replaced under us by a test, a full disk) is retried next
        # round: no request waits for this.
        with contextlib.suppress(sqlite3.Error):
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


class WriterTurn:
    """SQLite's one writer at a time across processes, taken by waiting on a file lock.

    Without it a writer that finds another process writing is left to SQLite's busy
    handler, which sleeps and tries again (1, 2, 5 ... 100 ms) and so oversleeps most of
    the transactions it waits for. In the intake bench (API and outbox worker in two
    processes) the API spent 1.4 s of a 12 s run asleep holding its turn, and the worker
    waited up to 734 ms to begin. On this lock a writer waits exactly as long as the
    other one writes. One per Database: flock is held per open file, and the Database
    lets one of its own transactions write at a time.

    Background writes (`background`) yield it: every other write holds the "-wanted" file
    shared while it waits for or holds the turn, and a background write looks whether it could
    take that file exclusive before each turn, so it waits until no such write is left, in any
    process (flock is per open file: the two descriptors conflict within one process too).
    """

    def __init__(self, db_path: str) -> None:
        self._fd = os.open(f"{db_path}-writer", os.O_RDWR | os.O_CREAT, 0o644)
        self._wanted = os.open(f"{db_path}-wanted", os.O_RDWR | os.O_CREAT, 0o644)
        self._yielding = os.open(f"{db_path}-wanted", os.O_RDWR)

    def take(self) -> None:
        """Wait for the turn (blocks the calling thread; the GIL is released meanwhile)."""
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def take_now(self) -> bool:
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def give_back(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)

    def want(self) -> None:
        """Say that a write of this process waits for or holds the turn, until `unwant`."""
        try:
            fcntl.flock(self._wanted, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            # A background write is looking this instant: it lets go at once.
            fcntl.flock(self._wanted, fcntl.LOCK_SH)

    def unwant(self) -> None:
        fcntl.flock(self._wanted, fcntl.LOCK_UN)

    def unwanted_now(self) -> bool:
        """Whether no write (besides background ones) waits for the turn, in any process."""
        try:
            fcntl.flock(self._yielding, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(self._yielding, fcntl.LOCK_UN)
        return True

    def close(self) -> None:
        for fd in (self._fd, self._wanted, self._yielding):
            os.close(fd)
