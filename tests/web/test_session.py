"""The console's session cookie on the wire: signed, Secure behind https, idle timeout, roles."""

from __future__ import annotations

import re
import time

import httpx

from tests.support import api
from wms.loopback import ThreadServer
from wms.web import session as sess


def login_form(c: httpx.Client) -> str:
    page = c.get("/ui/login").text
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def test_the_cookie_is_secure_behind_https_and_httponly_strict_always(server: ThreadServer):
    with httpx.Client(base_url=server.url) as c:
        csrf = login_form(c)
        badge, pin = api.LOGINS["supervisor"]
        r = c.post("/ui/login", data={"badge": badge, "pin": pin, "csrf": csrf},
                   headers={"X-Forwarded-Proto": "https"})  # fmt: skip
        assert r.status_code == 302
        cookie = r.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert "Secure" in cookie and "Path=/ui" in cookie
    with httpx.Client(base_url=server.url) as c:
        r = c.get("/ui/login")
        assert "Secure" not in r.headers["set-cookie"]  # plain http on loopback: no Secure


def cookie_for(token: str, seen: float) -> dict[str, str]:
    return {sess.COOKIE: sess.encode(sess.Session(token=token, seen=seen))}


def test_an_idle_session_is_signed_out(server: ThreadServer):
    token = api.login(server.url, "supervisor")
    fresh = httpx.get(f"{server.url}/ui/orders", cookies=cookie_for(token, time.time()))
    assert fresh.status_code == 200
    idle = httpx.get(
        f"{server.url}/ui/orders", cookies=cookie_for(token, time.time() - sess.IDLE_S - 5)
    )
    assert idle.status_code == 302 and idle.headers["location"] == "/ui/login"


def test_a_tampered_cookie_is_not_a_session(server: ThreadServer):
    token = api.login(server.url, "supervisor")
    value = cookie_for(token, time.time())[sess.COOKIE]
    body, _, sig = value.rpartition(".")
    forged = {sess.COOKIE: f"{body}.{'0' * len(sig)}"}
    r = httpx.get(f"{server.url}/ui/", cookies=forged)
    assert r.status_code == 302 and r.headers["location"] == "/ui/login"


def test_a_pickers_token_in_a_valid_cookie_still_gets_nothing(server: ThreadServer):
    # Roles are checked on every request, not only at sign-in.
    token = api.login(server.url, "picker")
    cookies = cookie_for(token, time.time())
    api.problem(httpx.get(f"{server.url}/ui/", cookies=cookies), 403, "forbidden")
    with httpx.Client(base_url=server.url, cookies=cookies) as c:
        csrf = sess.decode(cookies[sess.COOKIE]).csrf  # type: ignore[union-attr]
        r = c.post("/ui/waves/release", data={"order_ids": "1", "csrf": csrf})
        api.problem(r, 403, "forbidden")


def test_a_signed_out_token_no_longer_opens_the_console(server: ThreadServer):
    with httpx.Client(base_url=server.url) as c:
        csrf = login_form(c)
        badge, pin = api.LOGINS["admin"]
        assert (
            c.post("/ui/login", data={"badge": badge, "pin": pin, "csrf": csrf}).status_code == 302
        )
        kept = dict(c.cookies)
        session = sess.decode(kept[sess.COOKIE])
        assert session is not None and session.token
        assert c.post("/ui/logout", data={"csrf": session.csrf}).status_code == 302
    again = httpx.get(f"{server.url}/ui/", cookies=kept)  # the old cookie, replayed
    assert again.status_code == 302 and again.headers["location"] == "/ui/login"
