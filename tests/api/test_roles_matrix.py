"""Every route × every role (and no token) against the role table the guards read."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support import api
from wms.api import roles
from wms.app import create_app
from wms.config import Settings
from wms.web import session as sess

NO_TOKEN = "no token"


def app_routes() -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path template, path parameters) of every route the app serves."""
    app = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:"))
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            for method in sorted(getattr(handler, "http_methods", ())):
                if method != "OPTIONS":  # Litestar's own answer to CORS preflights
                    found.append((method, route.path_format, dict(route.path_parameters)))
    return sorted(found, key=lambda r: (r[1], r[0]))


ROUTES = app_routes()


def test_every_route_is_in_the_role_table_and_every_entry_is_a_route():
    served = {(method, path) for method, path, _ in ROUTES}
    missing = sorted(k for k in served if roles.allowed(*k) is None)
    assert missing == [], "add these routes to wms/api/roles.py"
    stale = sorted(k for k in roles.ROUTES if k not in served)
    assert stale == [], "these wms/api/roles.py entries serve no route"


def test_the_table_names_only_known_roles():
    for entry in roles.ROUTES.values():
        assert entry == roles.PUBLIC or entry <= set(roles.ROLES)


@pytest.fixture(scope="module")
def tokens(server) -> Iterator[dict[str, str | None]]:
    found: dict[str, str | None] = {
        role: api.login(server.url, role) for role in ("picker", "packer", "supervisor", "admin")
    }
    found["integration"] = api.INTEGRATION_TOKEN
    found[NO_TOKEN] = None
    yield found


def _spare_token(url: str, role: str) -> str | None:
    """A token of its own for a call that ends it (logout), so the others keep theirs."""
    if role == NO_TOKEN:
        return None
    if role != "integration":
        return api.login(url, role)
    with api.client(url, api.login(url, "admin")) as admin:
        r = admin.post("/api/v1/auth/tokens", json={"username": "shop-sync", "name": "matrix"})
        return str(r.json()["token"])


def _concrete(path: str, params: dict[str, Any]) -> str:
    # Ids nothing has: an allowed role gets past the guards to a 404, and changes nothing.
    for name, p in params.items():
        path = path.replace("{" + name + "}", "987654321" if p.type is int else "NO-SUCH-THING")
    return path


def _call(client: httpx.Client, token: str | None, method: str, path: str) -> httpx.Response:
    if path.startswith(roles.CONSOLE_PREFIX):
        return _call_console(client, token, method, path)
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = {} if method in ("POST", "PUT", "PATCH") else None
    return client.request(method, path, headers=headers, json=body)


def _call_console(
    client: httpx.Client, token: str | None, method: str, path: str
) -> httpx.Response:
    """The console signs people in with a session cookie: the role's token rides in one,
    with its CSRF token, as a browser's would after signing in."""
    cookies, headers = {}, {}
    if token:
        session = sess.Session(token=token, seen=time.time())
        cookies = {sess.COOKIE: sess.encode(session)}
        headers = {"X-CSRF-Token": session.csrf}
    client.cookies.clear()
    request = client.build_request(method, path, headers=headers, cookies=cookies)
    r = client.send(request, stream=True)
    if "text/event-stream" in r.headers.get("content-type", ""):
        r.close()  # the board's event stream never ends: its status is the answer
    else:
        r.read()
        r.close()
    return r


def _console_ok(
    path: str, entry: frozenset[str], role: str, r: httpx.Response, code: str | None
) -> bool:
    to_login = r.status_code in (302, 303) and r.headers.get("location") == "/ui/login"
    if entry == roles.PUBLIC:  # (a wrong badge at /ui/login is its own 401 page)
        # A form posted without the page's CSRF token is refused, even the sign-in form.
        return code not in ("forbidden", "unauthorized") and (code != "csrf" or role == NO_TOKEN)
    if role == NO_TOKEN:  # sent to sign in; a form without a session is refused as expired
        return to_login or r.status_code == 401 or (r.status_code == 403 and code == "csrf")
    if role in entry:  # signing out ends at the sign-in page, as it should
        return (not to_login or path == "/ui/logout") and r.status_code not in (401, 403)
    return r.status_code == 403 and code == "forbidden"


def assert_security_headers(r: httpx.Response) -> None:
    assert r.headers["x-content-type-options"] == "nosniff", r.headers
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    if "html" not in r.headers.get("content-type", ""):
        assert "default-src 'none'" in r.headers["content-security-policy"]


def assert_console_headers(r: httpx.Response) -> None:
    assert r.headers["x-content-type-options"] == "nosniff", r.headers
    assert r.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def _json(r: httpx.Response) -> Any:
    if "json" not in r.headers.get("content-type", ""):
        return None
    try:
        return r.json()
    except (httpx.ResponseNotRead, ValueError):  # a HEAD answer has no body
        return None


@pytest.mark.parametrize(
    ("method", "path", "params"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES]
)
def test_each_role_may_call_the_route_exactly_as_the_table_says(
    server, tokens, method, path, params
):
    entry = roles.allowed(method, path)
    assert entry is not None, f"{method} {path} is not in wms/api/roles.py"
    wrong = []
    with httpx.Client(base_url=server.url, timeout=30) as client:
        answers = {}
        for role, token in tokens.items():
            if path in ("/api/v1/auth/logout", "/ui/logout"):
                token = _spare_token(server.url, role)
            answers[role] = _call(client, token, method, _concrete(path, params))
    for role, r in answers.items():
        assert r.status_code < 500, (role, r.status_code)
        body = _json(r)
        code = body.get("code") if isinstance(body, dict) else None
        if path.startswith(roles.CONSOLE_PREFIX):
            assert_console_headers(r)
            if not _console_ok(path, entry, role, r, code):
                wrong.append((role, r.status_code, code))
            continue
        assert_security_headers(r)
        if entry == roles.PUBLIC:
            ok = r.status_code != 401 and code != "forbidden"
        elif role == NO_TOKEN:
            ok = r.status_code == 401
        elif role in entry:
            ok = r.status_code != 401 and code != "forbidden"
        else:
            ok = r.status_code == 403 and code == "forbidden"
        if not ok:
            wrong.append((role, r.status_code, code))
    assert wrong == [], f"{method} {path}: table says {sorted(entry)}"


def test_answers_outside_the_routes_carry_the_security_headers_too(server):
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for r in (
            client.get("/no/such/route"),
            client.delete("/api/v1/auth/me"),
            client.post("/api/v1/auth/login", content=b"{"),
        ):
            assert r.status_code in (400, 404, 405), r.text
            assert_security_headers(r)
        login = client.post("/api/v1/auth/login", json={"badge": "B1001", "pin": "1234"})
        assert login.headers["cache-control"] == "no-store"
