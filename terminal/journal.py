"""Offline journal (Piccolo on SQLite): every confirmed step is written here before it is sent.

Journal first, then send: a step is durable before the network sees it, so a terminal killed at
any moment loses nothing; its Idempotency-Key is stored with it, so a replay of a step the server
already applied returns the first answer and changes nothing. Steps replay strictly in order.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from piccolo.columns import Integer, Text, Varchar
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.table import Table

from terminal.client import ApiError, FloorClient, Offline, new_key

PENDING, SENT, REJECTED = "pending", "sent", "rejected"


def _tables(path: Path) -> tuple[type[Table], type[Table]]:
    # Piccolo binds the engine at class creation; one pair of classes per journal file.
    # It opens a connection a query; the timeout lets one wait out another's write on a
    # loaded handheld instead of failing at sqlite3's 5 s ("database is locked").
    db = SQLiteEngine(path=str(path), timeout=30)

    class Setting(Table, db=db, tablename="setting"):
        name = Varchar(length=60, unique=True)
        value = Text()

    class Step(Table, db=db, tablename="step"):
        key = Varchar(length=100, unique=True)
        path = Varchar(length=200)
        body = Text()
        label = Varchar(length=120)
        token = Text(default="")
        status = Varchar(length=10, default=PENDING, index=True)
        code = Varchar(length=60, default="")
        title = Varchar(length=60, default="")
        expected = Text(default="")
        answer = Text(default="")
        seen = Integer(default=0)
        created = Varchar(length=40)

    return Setting, Step


@dataclass
class Flushed:
    """What one replay pass did."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    offline: bool = False
    unauthorized: bool = False  # the session ended: the steps wait for the next login


class Journal:
    """The terminal's durable state: session settings and the queue of confirmed steps."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.Setting, self.Step = _tables(path)
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> Journal:
        path.parent.mkdir(parents=True, exist_ok=True)
        journal = cls(path)
        # WAL: the screen's reads (steps waiting) never wait for the sender's writes, nor
        # the writes for the reads; each commit is still synced (synchronous stays FULL).
        await journal.Step.raw("PRAGMA journal_mode=WAL").run()
        await journal.Setting.create_table(if_not_exists=True).run()
        await journal.Step.create_table(if_not_exists=True).run()
        return journal

    # -- settings (token, user) ---------------------------------------------------
    async def get(self, name: str) -> str | None:
        row = (
            await self.Setting.select(self.Setting.value)
            .where(self.Setting.name == name)
            .first()
            .run()
        )
        return row["value"] if row else None

    async def put(self, name: str, value: str) -> None:
        # One statement: two saves racing each other must not both delete, then both insert.
        await self.Setting.raw(
            "INSERT INTO setting (name, value) VALUES ({}, {}) "
            "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            name,
            value,
        ).run()

    async def forget(self, name: str) -> None:
        await self.Setting.delete().where(self.Setting.name == name).run()

    # -- steps --------------------------------------------------------------------
    async def add(
        self, path: str, body: dict[str, Any], label: str, token: str = "", key: str = ""
    ) -> dict[str, Any]:
        step = {
            "key": key or new_key(),
            "path": path,
            "body": json.dumps(body, sort_keys=True),
            "label": label[:120],
            "token": token,
            "status": PENDING,
            "created": datetime.now(UTC).isoformat(),
        }
        await self.Step.insert(self.Step(**step)).run()
        return step

    async def steps(self, status: str | None = None) -> list[dict[str, Any]]:
        query = self.Step.select().order_by(self.Step.id)
        if status:
            query = query.where(self.Step.status == status)
        return await query.run()

    async def waiting(self) -> int:
        return await self.Step.count().where(self.Step.status == PENDING).run()

    async def unseen_rejections(self) -> list[dict[str, Any]]:
        return (
            await self.Step.select()
            .where((self.Step.status == REJECTED) & (self.Step.seen == 0))
            .order_by(self.Step.id)
            .run()
        )

    async def mark_seen(self, step_id: int) -> None:
        await self.Step.update({self.Step.seen: 1}).where(self.Step.id == step_id).run()

    async def flush(self, client: FloorClient) -> Flushed:
        """Send every pending step in order; stop at the first one the network swallows."""
        done = Flushed()
        async with self._lock:  # one replay at a time, or two could race on the same step
            for step in await self.steps(PENDING):
                # Sent with the current session's token: logging out is refused while steps
                # wait, so this is the picker who took them (the step's token is kept for audit).
                try:
                    answer = await client.post(step["path"], json.loads(step["body"]), step["key"])
                except Offline:
                    done.offline = True
                    break
                except ApiError as err:
                    if err.status == 401:  # not the step's fault: keep it for after the login
                        done.unauthorized = True
                        break
                    await (
                        self.Step.update(
                            {
                                self.Step.status: REJECTED,
                                self.Step.code: err.code,
                                self.Step.title: err.title[:60],
                                self.Step.expected: err.expected or "",
                            }
                        )
                        .where(self.Step.id == step["id"])
                        .run()
                    )
                    done.rejected.append(
                        {
                            **step,
                            "code": err.code,
                            "title": err.title,
                            "expected": err.expected,
                            "detail": err.detail,
                        }
                    )
                    continue
                await (
                    self.Step.update({self.Step.status: SENT, self.Step.answer: json.dumps(answer)})
                    .where(self.Step.id == step["id"])
                    .run()
                )
                done.sent.append({**step, "answer": answer})
        return done
