"""An HTTP client per role against a real server, with the demo's logins."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.support import conformance

LOGINS = {
    "picker": ("B1001", "1234"),
    "picker2": ("B1002", "1234"),
    "packer": ("B2001", "1234"),
    "supervisor": ("B3001", "4321"),
    "admin": ("B9001", "9999"),
}
INTEGRATION_TOKEN = "demo-integration-token"


def login(url: str, who: str) -> str:
    badge, pin = LOGINS[who]
    r = httpx.post(f"{url}/api/v1/auth/login", json={"badge": badge, "pin": pin})
    r.raise_for_status()
    conformance.document(url).check(r)
    return r.json()["token"]


def client(url: str, token: str | None = None) -> httpx.Client:
    """Every JSON answer it gets is checked against the server's OpenAPI document."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    hooks = {"response": [conformance.hook(url)]}
    return httpx.Client(base_url=url, headers=headers, timeout=30, event_hooks=hooks)


def idem() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Assert an RFC 9457 problem with the given status and code; return its body."""
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body = r.json()
    assert body["code"] == code, body
    assert body["status"] == status
    assert body["title"] and len(body["title"]) <= 40, body["title"]
    return body
