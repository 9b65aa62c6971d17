"""Every answer is a typed shape in /schema, and the suite's answer check catches drift."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import msgspec
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.support import conformance
from tests.support.databases import new_sqlite
from wms.api import idempotency
from wms.api.answers import Ok
from wms.api.answers.auth import Me
from wms.db import Database, answers, reads
from wms.models import Idempotency


def _document(url: str) -> conformance.Document:
    return conformance.document(url)


def test_every_operation_documents_the_shape_of_each_success_answer(server):
    doc = _document(server.url).doc
    untyped = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict):
                continue
            for status, answer in op["responses"].items():
                for ctype, media in (answer.get("content") or {}).items():
                    if ctype == "application/json" and not conformance._typed(media["schema"]):
                        untyped.append(f"{method.upper()} {path} {status}")
    assert untyped == []


def _answer(url: str, path: str, body: object, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=body, request=httpx.Request("GET", f"{url}{path}"))


def test_an_answer_missing_a_documented_field_fails_the_check(server):
    doc = _document(server.url)
    me = msgspec.to_builtins(Me(id=1, username="b9001", name="Admin", role="admin"))
    doc.check(_answer(server.url, "/api/v1/auth/me", me))  # as documented: passes
    with pytest.raises(AssertionError, match="differs from the OpenAPI document"):
        doc.check(_answer(server.url, "/api/v1/auth/me", {"id": 1, "username": "b9001"}))
    with pytest.raises(AssertionError, match="differs from the OpenAPI document"):
        doc.check(_answer(server.url, "/api/v1/auth/me", me | {"role": 7}))


def test_an_undocumented_status_or_path_fails_the_check(server):
    doc = _document(server.url)
    with pytest.raises(AssertionError, match="status not documented"):
        doc.check(_answer(server.url, "/api/v1/auth/me", {"ok": True}, status=418))
    with pytest.raises(AssertionError, match="path not in the OpenAPI document"):
        doc.check(_answer(server.url, "/api/v1/nowhere", {"ok": True}))


def test_a_problem_answer_is_checked_against_the_problem_schema(server):
    doc = _document(server.url)
    bad = {"type": "x", "title": "A title far longer than twenty", "status": 404, "code": "x"}
    with pytest.raises(AssertionError, match="differs from the OpenAPI document"):
        doc.check(
            httpx.Response(
                404,
                content=msgspec.json.encode(bad),
                headers={"content-type": "application/problem+json"},
                request=httpx.Request("GET", f"{server.url}/api/v1/auth/me"),
            )
        )


@reads
def _kept(s: Session, key: str) -> bytes:
    return s.execute(select(Idempotency.response_body).where(Idempotency.key == key)).scalar_one()


@answers
def _change(s: Session) -> Ok:
    return Ok(ok=True)


def test_an_answer_kept_with_its_change_is_the_structs_json(tmp_path: Path):
    url = new_sqlite(tmp_path)  # loads its template with its own event loop

    async def keep() -> None:
        db = Database(url)
        idempotency.register(db)
        claim = idempotency.Claim(user_id=1, key="struct-answer", digest="d", status=201)
        token = idempotency.CLAIM.set(claim)
        try:
            assert await db.run(_change) == Ok(ok=True)
            assert claim.kept == (201, b'{"ok":true}')
            assert await db.run(_kept, "struct-answer") == msgspec.json.encode(Ok(ok=True))
        finally:
            idempotency.CLAIM.reset(token)
            await db.dispose()

    asyncio.run(keep())
