"""Idempotency-Key for mutating calls: a replay returns the first answer and changes nothing.

The key is claimed in its own transaction before the handler runs (unique per user), so two
copies of one request racing each other cannot both act: the second is told to retry. A
handler that fails with a 5xx releases the key, so the terminal's retry runs it again.
"""

from __future__ import annotations

import hashlib
import json

from litestar.enums import ScopeType
from litestar.middleware import AbstractMiddleware
from litestar.types import Message, Receive, Scope, Send
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wms.db import Database
from wms.models import Idempotency
from wms.services.auth import Principal

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
HEADER = b"idempotency-key"


def _problem(status: int, code: str, title: str, detail: str) -> tuple[int, bytes]:
    body = {
        "type": f"https://wms.dev/problems/{code}",
        "title": title,
        "status": status,
        "code": code,
        "detail": detail,
    }
    return status, json.dumps(body).encode()


async def _send_raw(
    send: Send, status: int, body: bytes, content_type: str, replayed: bool = False
) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    if replayed:
        headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class IdempotencyMiddleware(AbstractMiddleware):
    scopes = {ScopeType.HTTP}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = scope.get("route_handler")
        required = bool(handler and handler.opt.get("idempotent"))
        key = dict(scope["headers"]).get(HEADER, b"").decode("latin-1").strip()
        user = scope.get("user")
        if (
            scope["method"] not in MUTATING
            or not isinstance(user, Principal)
            or (not key and not required)
        ):
            await self.app(scope, receive, send)
            return
        if not key or len(key) > 100:
            status, body = _problem(
                400,
                "idempotency_key_required",
                "Retry key missing",
                "send an Idempotency-Key header (1-100 chars)",
            )
            await _send_raw(send, status, body, "application/problem+json")
            return

        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        raw = b"".join(chunks)
        digest = hashlib.sha256(
            b"|".join(
                [
                    scope["method"].encode(),
                    scope["path"].encode(),
                    scope.get("query_string", b""),
                    raw,
                ]
            )
        ).hexdigest()
        db: Database = scope["app"].state.db

        claimed = await self._claim(db, user.user_id, key, digest)
        if claimed is not None:
            status, body, content_type = claimed
            await _send_raw(send, status, body, content_type, replayed=True)
            return

        sent_body = False

        async def replay_receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": raw, "more_body": False}
            return await receive()

        # The answer is kept before it is sent: a client that retries the moment it has
        # the first answer must find it stored, not "still running".
        messages: list[Message] = []

        async def capture_send(message: Message) -> None:
            messages.append(message)

        try:
            await self.app(scope, replay_receive, capture_send)
        except BaseException:
            await self._release(db, user.user_id, key)
            raise
        start = next((m for m in messages if m["type"] == "http.response.start"), None)
        status = start["status"] if start else 500
        if status >= 500:
            await self._release(db, user.user_id, key)
        else:
            content_type = "application/json"
            for name, value in start.get("headers", []) if start else []:
                if name.lower() == b"content-type":
                    content_type = value.decode("latin-1")
            body = b"".join(
                m.get("body", b"") for m in messages if m["type"] == "http.response.body"
            )
            await db.run(_store_answer, user.user_id, key, status, body, content_type)
        for message in messages:
            await send(message)

    async def _claim(
        self, db: Database, user_id: int, key: str, digest: str
    ) -> tuple[int, bytes, str] | None:
        """None when this request may run; otherwise the answer to send instead."""
        try:
            row = await db.run(_claim_key, user_id, key, digest)
            if row is None:
                return None
        except IntegrityError:
            status, body = _problem(
                409, "request_in_progress", "Busy, retry", "the same request is still running"
            )
            return status, body, "application/problem+json"
        if row.request_hash != digest:
            status, body = _problem(
                422,
                "idempotency_key_reused",
                "Retry key reused",
                "this Idempotency-Key was used for another request",
            )
            return status, body, "application/problem+json"
        if row.status_code == 0:
            status, body = _problem(
                409, "request_in_progress", "Busy, retry", "the same request is still running"
            )
            return status, body, "application/problem+json"
        return row.status_code, row.response_body, row.content_type

    async def _release(self, db: Database, user_id: int, key: str) -> None:
        await db.run(_release_key, user_id, key)


# Plain transactions through Database.run: two of them wrap every mutating floor call, so
# they must cost one thread hop each, not one per statement.


def _claim_key(s: Session, user_id: int, key: str, digest: str) -> Idempotency | None:
    """The earlier request's row, or None after claiming the key for this one."""
    row = s.execute(
        select(Idempotency).where(Idempotency.user_id == user_id, Idempotency.key == key)
    ).scalar_one_or_none()
    if row is None:
        s.add(Idempotency(user_id=user_id, key=key, request_hash=digest))
        s.flush()
        return None
    s.expunge(row)
    return row


def _store_answer(
    s: Session, user_id: int, key: str, status: int, body: bytes, content_type: str
) -> None:
    s.execute(
        update(Idempotency)
        .where(Idempotency.user_id == user_id, Idempotency.key == key)
        .values(status_code=status, response_body=body, content_type=content_type[:60])
    )


def _release_key(s: Session, user_id: int, key: str) -> None:
    s.execute(delete(Idempotency).where(Idempotency.user_id == user_id, Idempotency.key == key))
