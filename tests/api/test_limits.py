"""Limits hold before anything reads the request: body size, JSON depth, ids, money, keys."""

from __future__ import annotations

import asyncio
import json
import secrets
import select
import socket
import time
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select as sql_select
from sqlalchemy.orm import Session

from tests.fakes.payloads import make_shopify_order
from tests.fakes.webhooks import signed_webhook
from tests.support.api import idem, login, problem
from tests.support.waiting import wait_until
from wms.api.limits import JsonDepth, LimitExceeded
from wms.config import Settings
from wms.db import Database
from wms.domain.bounds import MAX_ID
from wms.loopback import ProcessServer
from wms.models import ApiToken, User
from wms.models.common import utcnow
from wms.services.auth import token_hash

SHIP_TO = {
    "name": "Ana Silva",
    "line1": "1 Main St",
    "city": "Austin",
    "postal_code": "78701",
    "country": "US",
}
LIMIT = Settings().max_body_bytes
IN_FLIGHT = LIMIT + 12_000_000


def _chunked_upload(url: str, path: str, headers: dict[str, str], total: int) -> tuple[int, int]:
    """POST `total` bytes chunked over a raw socket until the server answers: (status, sent)."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
    head = [f"POST {path} HTTP/1.1", f"Host: {parts.netloc}", "Transfer-Encoding: chunked"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    chunk = b"[" + b"1," * 32_000 + b"1]"
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent, answer = 0, b""
    try:
        while sent < total:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(framed)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        deadline = time.monotonic() + 10
        while b"\r\n" not in answer and time.monotonic() < deadline:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    finally:
        sock.close()
    assert answer, f"no answer after {sent} bytes"
    return int(answer.split(b" ", 2)[1]), sent


def test_a_chunked_body_with_a_retry_key_is_refused_once_it_passes_the_limit(server):
    token = login(server.url, "picker")
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        **idem(),
    }
    status, sent = _chunked_upload(
        server.url, "/api/v1/picking/tasks/1/confirm", headers, 150_000_000
    )
    assert status == 413
    # Refused at the limit, not after reading the 150 MB: what was sent past it sat in the
    # sockets' buffers (a few MB on loopback) when the answer came.
    assert sent < IN_FLIGHT


def test_a_chunked_body_without_a_retry_key_is_refused_the_same_way(server):
    status, sent = _chunked_upload(
        server.url, "/webhooks/shopify-main", {"Content-Type": "application/json"}, 50_000_000
    )
    assert status == 413
    assert sent < IN_FLIGHT


def test_a_declared_length_over_the_limit_is_refused_before_the_body(anonymous):
    r = anonymous.post(
        "/api/v1/auth/login",
        content=b"{}" + b" " * (LIMIT + 1),
        headers={"content-type": "application/json"},
    )
    problem(r, 413, "body_too_large")


DEEP = b"[" * 1000 + b"]" * 1000


def test_json_nested_too_deep_is_refused_on_the_anonymous_login(anonymous):
    problem(anonymous.post("/api/v1/auth/login", content=DEEP), 400, "json_too_deep")
    nested = b'{"badge": ' + b'{"a": ' * 40 + b"1" + b"}" * 40 + b', "pin": "1"}'
    problem(
        anonymous.post(
            "/api/v1/auth/login", content=nested, headers={"content-type": "application/json"}
        ),
        400,
        "json_too_deep",
    )


def test_json_nested_too_deep_is_refused_on_a_signed_webhook(anonymous, fake_channels):
    headers, body = signed_webhook(fake_channels.config("shopify-main"), DEEP)
    problem(
        anonymous.post("/webhooks/shopify-main", content=body, headers=headers),
        400,
        "json_too_deep",
    )


def test_json_nested_too_deep_is_refused_on_floor_and_office_routes(picker, integration):
    problem(
        picker.post("/api/v1/picking/tasks/1/confirm", content=DEEP, headers=idem()),
        400,
        "json_too_deep",
    )
    problem(
        integration.post("/api/v1/orders/", params={"channel": "own-main"}, content=DEEP),
        400,
        "json_too_deep",
    )


def test_brackets_inside_strings_do_not_count_as_nesting(anonymous):
    text = json.dumps({"badge": "[" * 40 + '\\"{' * 40, "pin": "0000"}).encode()
    r = anonymous.post(
        "/api/v1/auth/login", content=text, headers={"content-type": "application/json"}
    )
    problem(r, 400, "invalid_request")  # parsed: the badge is too long, not too deep


def test_the_depth_count_follows_strings_and_escapes_across_chunks():
    depth = JsonDepth(3)
    for piece in (b'{"a": "x\\', b'"[[[[', b'", "b": [[', b"1]]}"):
        depth.feed(piece)
    assert (depth.depth, depth.in_string) == (0, False)
    try:
        JsonDepth(3).feed(b'[[["\\\\"[')
    except LimitExceeded as exc:
        assert exc.code == "json_too_deep"
    else:
        raise AssertionError("a fourth level was let through")


def test_path_ids_beyond_the_id_columns_are_not_found(supervisor, picker):
    for big in (MAX_ID + 1, 2**63, 2**64 + 5, -(2**63) - 1):
        problem(supervisor.get(f"/api/v1/orders/{big}"), 404, "not_found")
        problem(supervisor.get(f"/api/v1/batches/{big}"), 404, "not_found")
        r = picker.post(f"/api/v1/picking/tasks/{big}/confirm", json={}, headers=idem())
        problem(r, 404, "not_found")
    problem(supervisor.get(f"/api/v1/orders/{MAX_ID}"), 404, "unknown_order")


def test_order_ids_of_a_wave_beyond_the_id_columns_are_refused(supervisor):
    for big in (MAX_ID + 1, 2**63, 2**70):
        problem(
            supervisor.post("/api/v1/waves/plan", json={"order_ids": [big]}), 400, "invalid_request"
        )
        r = supervisor.post("/api/v1/waves/", json={"order_ids": [1, big]}, headers=idem())
        problem(r, 400, "invalid_request")


def _own_order(order_id: str, price: object) -> dict:
    return {
        "order_id": order_id,
        "currency": "USD",
        "ship_to": SHIP_TO,
        "lines": [
            {"sku": "SKU-0120", "qty": 1, "unit_price": "5.00"},
            {"sku": "SKU-0121", "qty": 1, "unit_price": price},
        ],
    }


def _orders(client: httpx.Client) -> int:
    return len(client.get("/api/v1/orders/", params={"limit": 1000}).json())


def test_an_amount_the_money_columns_cannot_hold_is_refused_and_nothing_is_stored(
    integration, supervisor
):
    before = _orders(supervisor)
    for n, price in enumerate(("1e999", "1e10", "10000000000", "9999999999.99995", "NaN")):
        r = integration.post(
            "/api/v1/orders/", params={"channel": "own-main"}, json=_own_order(f"BIG-{n}", price)
        )
        assert r.status_code in (400, 422), (price, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    raw = (
        b'{"order_id": "BIG-N", "currency": "USD", "ship_to": %s, "lines": ['
        % (json.dumps(SHIP_TO).encode())
        + b'{"sku": "SKU-0121", "qty": 1, "unit_price": 1e999}]}'
    )
    r = integration.post("/api/v1/orders/", params={"channel": "own-main"}, content=raw)
    assert r.status_code in (400, 422), r.text
    assert _orders(supervisor) == before
    r = integration.post(
        "/api/v1/orders/", params={"channel": "own-main"}, json=_own_order("OK-1", "9999.99")
    )
    assert r.status_code == 201, r.text


def test_a_csv_import_with_an_amount_too_large_is_refused_whole(integration, supervisor):
    before = _orders(supervisor)
    csv = (
        "order_id,sku,qty,unit_price,currency\n"
        "CSV-B1,SKU-0120,1,9.99,USD\nCSV-B2,SKU-0120,1,1e10,USD\n"
    )
    r = integration.post("/api/v1/orders/import", params={"channel": "own-main"}, content=csv)
    assert r.status_code == 400, r.text
    assert "unit_price" in r.text
    assert _orders(supervisor) == before


def test_a_channel_price_too_large_is_refused_and_nothing_is_stored(
    anonymous, supervisor, fake_channels
):
    before = _orders(supervisor)
    payload = make_shopify_order(7001, {"SKU-0122": 1})
    payload["line_items"][0]["price"] = "1e10"
    headers, body = signed_webhook(fake_channels.config("shopify-main"), payload)
    r = anonymous.post("/webhooks/shopify-main", content=body, headers=headers)
    problem(r, 400, "bad_payload")
    assert _orders(supervisor) == before


def test_a_405_names_the_methods_allowed(supervisor):
    r = supervisor.delete("/api/v1/orders/")
    problem(r, 405, "method_not_allowed")
    assert "GET" in r.headers["allow"] and "POST" in r.headers["allow"]


def test_a_retry_key_of_100_characters_in_utf8_is_accepted(picker):
    key = "ключ-" * 20  # 100 characters, 180 bytes
    path = "/api/v1/picking/tasks/999999/confirm"
    r = picker.post(path, json={}, headers={"Idempotency-Key": key.encode()})
    problem(r, 400, "invalid_request")  # past the key check, to the body's
    r = picker.post(path, json={}, headers={"Idempotency-Key": (key + "x").encode()})
    problem(r, 400, "idempotency_key_required")


def test_a_logged_out_token_stops_working_in_every_process_at_once(database_url):
    with ProcessServer(database_url) as a, ProcessServer(database_url) as b:
        token = login(a.url, "packer")
        auth = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{b.url}/api/v1/auth/me", headers=auth).status_code == 200
        assert httpx.post(f"{a.url}/api/v1/auth/logout", headers=auth).status_code == 200
        problem(httpx.get(f"{b.url}/api/v1/auth/me", headers=auth), 401, "expired_token")
        problem(httpx.get(f"{a.url}/api/v1/auth/me", headers=auth), 401, "expired_token")


def test_a_token_stops_working_the_moment_it_expires(server):
    token = secrets.token_urlsafe(32)

    def _issue(s: Session) -> None:
        user = s.execute(sql_select(User).where(User.badge == "B2001")).scalar_one()
        s.add(
            ApiToken(
                user_id=user.id,
                token_hash=token_hash(token),
                name="short",
                expires_at=utcnow() + timedelta(seconds=5),
            )
        )

    async def issue() -> None:
        db = Database(server.database_url)
        try:
            await db.run(_issue)
        finally:
            await db.dispose()

    asyncio.run(issue())
    auth = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{server.url}/api/v1/auth/me", headers=auth).status_code == 200
    r = wait_until(
        lambda: (
            (r := httpx.get(f"{server.url}/api/v1/auth/me", headers=auth)).status_code != 200 and r
        ),
        "the token to stop working once it expired",
        timeout=15,
    )
    problem(r, 401, "expired_token")
    assert r.elapsed.total_seconds() < 5
