"""Idempotency-Key for mutating calls: a replay returns the first answer and changes nothing.

A read first answers a replay with the stored answer. Otherwise the key is claimed inside
the request's first write transaction (unique per user), so the claim commits or rolls back
with the change it guards, at no transaction of its own. Two copies of one request racing
each other cannot both act: the second finds the claim and is told to retry, or gets the
first answer once it is stored.

The answer is kept in the transaction that made the change when the service marks its last
write `@answers` (the floor calls do): a crash after that commit cannot lose the answer.
Otherwise it is stored after the handler, before it is sent, and a claim left unanswered
longer than STALE_CLAIM (the server died between the two) is answered
`request_outcome_unknown`, once and for good, instead of "still running" forever. A 5xx
releases the key so the retry runs again, unless the change's answer was already kept.
An answer (a msgspec Struct, a list of them) is stored as the bytes Litestar sends.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.serialization import encode_json
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from wms.db import Database, reads
from wms.errors import Conflict, WmsError
from wms.models import Idempotency
from wms.models.common import utcnow
from wms.services.auth import Principal
from wms.services.sql import dialect_name, upsert_on

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
HEADER = b"idempotency-key"
MAX_KEY_CHARS = 100  # characters, not bytes (the column's VARCHAR(100) counts characters)
# A claim still unanswered after this long belongs to a request the server lost (a crash
# between its commit and its answer): floor calls take milliseconds, an import seconds.
STALE_CLAIM = timedelta(seconds=30)
log = logging.getLogger(__name__)


def _problem(status: int, code: str, title: str, detail: str) -> tuple[int, bytes]:
    kind = f"https://wms.dev/problems/{code}"
    body = {"type": kind, "title": title, "status": status, "code": code, "detail": detail}
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


class IdempotencyMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        handler = scope.get("route_handler")
        required = bool(handler and handler.opt.get("idempotent"))
        try:
            key = dict(scope["headers"]).get(HEADER, b"").decode("utf-8").strip()
        except UnicodeDecodeError:
            key = "\ufffd" * (MAX_KEY_CHARS + 1)  # not text: refused below as a bad key
        user = scope.get("user")
        if (
            scope["method"] not in MUTATING
            or not isinstance(user, Principal)
            or (not key and not required)
        ):
            await next_app(scope, receive, send)
            return
        if not key or len(key) > MAX_KEY_CHARS:
            status, body = _problem(
                400,
                "idempotency_key_required",
                "Retry key missing",
                f"send an Idempotency-Key header (1-{MAX_KEY_CHARS} characters)",
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
        claim = Claim(user.user_id, key, digest, status=getattr(handler, "status_code", None))
        # A read first: a replay must get the first answer even when something the handler
        # checks before its first write has changed since (the claim itself is made in that
        # write, which is what settles two copies racing each other).
        earlier = await db.run(_earlier, user.user_id, key)
        if earlier is not None:
            try:
                _judge(claim, earlier)
            except WmsError as refusal:
                if claim.answer is not None:
                    await _send_raw(send, *claim.answer, replayed=True)
                else:
                    status, body = _problem(
                        refusal.status, refusal.code, refusal.message, refusal.detail
                    )
                    if isinstance(refusal, OutcomeUnknown):
                        # Kept as the answer: every later retry is told the same, at once.
                        await db.run(_settle_stale, user.user_id, key, digest, status, body)
                    await _send_raw(send, status, body, "application/problem+json")
                return
        token = CLAIM.set(claim)

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
            await next_app(scope, replay_receive, capture_send)
        except BaseException:
            if claim.claimed:
                await db.run(_release_key, user.user_id, key)
            raise
        finally:
            CLAIM.reset(token)
        if claim.answer is not None:  # a replay: the first answer, as it was
            status, body, content_type = claim.answer
            await _send_raw(send, status, body, content_type, replayed=True)
            return
        start = next((m for m in messages if m["type"] == "http.response.start"), None)
        status = start["status"] if start else 500
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
        if claim.kept is not None:
            # The answer was kept with the change. A 5xx after that commit leaves it standing:
            # the change was made, and the retry must hear how it went.
            if status < 500 and (status, body) != claim.kept:
                log.warning("%s %s answered otherwise than kept", scope["method"], scope["path"])
                await db.run(_store_answer, user.user_id, key, digest, status, body, "", True)
        elif status >= 500:
            if claim.claimed:
                await db.run(_release_key, user.user_id, key)
        elif not claim.refused:
            content_type = "application/json"
            for name, value in start.get("headers", []) if start else []:
                if name.lower() == b"content-type":
                    content_type = value.decode("latin-1")
            await db.run(_store_answer, user.user_id, key, digest, status, body, content_type)
        for message in messages:
            await send(message)


@dataclass
class Claim:
    """The retry key of the request being served, and what became of it."""

    user_id: int
    key: str
    digest: str
    tentative: bool = False  # claimed in the transaction now running
    claimed: bool = False  # claimed in a committed transaction
    refused: bool = False  # another request holds the key: nothing to store
    answer: tuple[int, bytes, str] | None = None  # the first request's answer, to replay
    status: int | None = None  # the route's status code, for an answer kept in a transaction
    kept: tuple[int, bytes] | None = None  # the answer kept in the change's transaction


CLAIM: ContextVar[Claim | None] = ContextVar("idempotency_claim", default=None)


class Replay(Conflict):
    """Stops a replayed request at its first write; the middleware sends the first answer."""


class OutcomeUnknown(Conflict):
    """The first request's change may have committed, but its answer was never stored."""


# Built once: every mutating floor call runs these.
_IDEM = Idempotency.__table__
_EARLIER = select(
    _IDEM.c.request_hash,
    _IDEM.c.status_code,
    _IDEM.c.response_body,
    _IDEM.c.content_type,
    _IDEM.c.created_at,
).where(_IDEM.c.user_id == bindparam("user_id"), _IDEM.c.key == bindparam("key"))
# Our own claim's answer. (An UPDATE may not bind names of its columns.)
_KEEP = (
    update(_IDEM)
    .where(
        _IDEM.c.user_id == bindparam("uid"),
        _IDEM.c.key == bindparam("ikey"),
        _IDEM.c.request_hash == bindparam("digest"),
    )
    .values(
        status_code=bindparam("status"),
        response_body=bindparam("body"),
        content_type=bindparam("ctype"),
    )
)


def _keep_params(
    user_id: int, key: str, digest: str, status: int, body: bytes, content_type: str
) -> dict[str, Any]:
    return {
        "uid": user_id,
        "ikey": key,
        "digest": digest,
        "status": status,
        "body": body,
        "ctype": content_type,
    }


def claim_in_transaction(s: Session) -> None:
    """Write-transaction prelude: claim the request's key, or stop if it is taken."""
    claim = CLAIM.get()
    if claim is None or claim.claimed:
        return
    claim.tentative = False  # an earlier transaction of this request rolled back
    conn = s.connection()
    params = {"user_id": claim.user_id, "key": claim.key}
    inserted = conn.execute(_claim_statement(dialect_name(s)), params | {"digest": claim.digest})
    if inserted.rowcount == 1:
        claim.tentative = True
        return
    _judge(claim, conn.execute(_EARLIER, params).one())


# Built once per dialect: building an upsert (and its `excluded` columns) per request cost
# more CPU than running it.
@functools.cache
def _claim_statement(dialect: str) -> Any:
    return (
        upsert_on(dialect, _IDEM)
        .values(
            user_id=bindparam("user_id"), key=bindparam("key"), request_hash=bindparam("digest")
        )
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
    )


@functools.cache
def _answer_statement(dialect: str) -> Any:
    stmt = upsert_on(dialect, _IDEM).values(
        user_id=bindparam("user_id"),
        key=bindparam("key"),
        request_hash=bindparam("digest"),
        status_code=bindparam("status"),
        response_body=bindparam("body"),
        content_type=bindparam("content_type"),
    )
    return stmt.on_conflict_do_update(
        index_elements=["user_id", "key"],
        set_={
            "status_code": stmt.excluded.status_code,
            "response_body": stmt.excluded.response_body,
            "content_type": stmt.excluded.content_type,
        },
        # Never over another request's answer, nor a finished one.
        where=(_IDEM.c.status_code == 0) & (_IDEM.c.request_hash == stmt.excluded.request_hash),
    )


@reads
def _earlier(s: Session, user_id: int, key: str) -> Any:
    return s.connection().execute(_EARLIER, {"user_id": user_id, "key": key}).one_or_none()


def _judge(claim: Claim, earlier: Any) -> None:
    """Another request holds the key: refuse, or (same request, answered) replay its answer."""
    claim.refused = True
    if earlier.request_hash != claim.digest:
        raise WmsError(
            "idempotency_key_reused",
            "Retry key reused",
            "this Idempotency-Key was used for another request",
        )
    if earlier.status_code == 0:
        if earlier.created_at is not None and utcnow() - earlier.created_at > STALE_CLAIM:
            raise OutcomeUnknown(
                "request_outcome_unknown",
                "Check, then redo",
                "the server stopped while doing this; its change may have been made: "
                "check it on screen before doing it again",
            )
        raise Conflict("request_in_progress", "Busy, retry", "the same request is still running")
    claim.answer = (earlier.status_code, earlier.response_body, earlier.content_type)
    raise Replay("replayed", "Replayed", "the first answer is sent again")


def claim_committed() -> None:
    """After-commit hook: a claim made in the committed transaction now stands."""
    claim = CLAIM.get()
    if claim is not None and claim.tentative:
        claim.claimed, claim.tentative = True, False


def keep_answer(s: Session, result: Any) -> None:
    """Answer hook: the request's answer is `result` as the route sends it; keep it now."""
    claim = CLAIM.get()
    if claim is None or claim.status is None or not (claim.tentative or claim.claimed):
        return
    body = encode_json(result)  # what Litestar sends for the handler's value
    params = _keep_params(
        claim.user_id, claim.key, claim.digest, claim.status, body, "application/json"
    )
    s.connection().execute(_KEEP, params)
    claim.kept = (claim.status, body)


def register(db: Database) -> None:
    """Claim retry keys in the database's write transactions, and keep answers there."""
    db.write_preludes.append(claim_in_transaction)
    db.after_write_commit.append(claim_committed)
    db.answer_hooks.append(keep_answer)


def _store_answer(
    s: Session,
    user_id: int,
    key: str,
    digest: str,
    status: int,
    body: bytes,
    content_type: str,
    over_kept: bool = False,
) -> None:
    """Keep the answer: fill our own claim, or record a refusal made before any write."""
    if over_kept:  # our own answer kept in the change's transaction, replaced
        params = _keep_params(user_id, key, digest, status, body, "application/json")
        s.connection().execute(_KEEP, params)
        return
    s.connection().execute(
        _answer_statement(dialect_name(s)),
        {
            "user_id": user_id,
            "key": key,
            "digest": digest,
            "status": status,
            "body": body,
            "content_type": content_type[:60],
        },
    )


def _settle_stale(
    s: Session, user_id: int, key: str, digest: str, status: int, body: bytes
) -> None:
    """A lost request's claim gets its final answer: its outcome is unknown."""
    params = _keep_params(user_id, key, digest, status, body, "application/problem+json")
    s.connection().execute(_KEEP.where(_IDEM.c.status_code == 0), params)


def _release_key(s: Session, user_id: int, key: str) -> None:
    s.execute(
        delete(Idempotency).where(
            Idempotency.user_id == user_id, Idempotency.key == key, Idempotency.status_code == 0
        )
    )
