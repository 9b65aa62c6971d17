"""Office users sign in with a password (set by `wms user password`), locked out like PINs;
an open event stream ends soon after its session does (signed out, idle)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time

import httpx
import pytest
from playwright.async_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.support import api
from wms.db import Database, reads
from wms.loopback import ThreadServer
from wms.models import User
from wms.services import auth
from wms.web import session as sess

PASSWORD = "correct horse battery"


def set_password(database_url: str, username: str, password: str) -> subprocess.CompletedProcess:
    env = os.environ | {"WMS_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "wms.cli", "user", "password", username],
        input=password + "\n", env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


async def office_user(database_url: str, username: str) -> None:
    """A supervisor without a badge, as an office user is."""
    db = Database(database_url)
    try:
        await auth.create_user(db, username=username, role="supervisor", name=username)
    finally:
        await db.dispose()
    done = set_password(database_url, username, PASSWORD)
    assert done.returncode == 0 and f"password set for {username}" in done.stdout, done.stderr


@reads
def _user(s: Session, username: str) -> User:
    return s.execute(select(User).where(User.username == username)).scalar_one()


async def user_row(database_url: str, username: str) -> User:
    db = Database(database_url)
    try:
        return await db.run(_user, username)
    finally:
        await db.dispose()


def console_client(server: ThreadServer, **login: str) -> tuple[httpx.Client, httpx.Response]:
    c = httpx.Client(base_url=server.url, timeout=30)
    csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/ui/login").text).group(1)  # type: ignore[union-attr]
    return c, c.post("/ui/login", data=login | {"csrf": csrf})


def board_csrf(c: httpx.Client) -> str:
    return re.search(r'"X-CSRF-Token": "([^"]+)"', c.get("/ui/").text).group(1)  # type: ignore[union-attr]


async def test_an_office_user_signs_in_with_the_password_the_cli_set(
    page: Page, server: ThreadServer
):
    await office_user(server.database_url, "office1")
    stored = await user_row(server.database_url, "office1")
    assert stored.password_hash.startswith("scrypt$") and PASSWORD not in stored.password_hash
    await page.goto(f"{server.url}/ui/login")
    await page.fill("input[name=username]", "office1")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("text=Sign in with password")
    await expect(page).to_have_url(f"{server.url}/ui/")
    await expect(page.locator("header")).to_contain_text("office1 (supervisor)")
    await expect(page.locator("#alerts")).to_contain_text("Short picks")


async def test_a_password_too_short_or_for_an_unknown_user_is_refused_and_changes_nothing(
    server: ThreadServer,
):
    await office_user(server.database_url, "office2")
    before = (await user_row(server.database_url, "office2")).password_hash
    short = set_password(server.database_url, "office2", "short")
    assert short.returncode == 1 and "nothing changed" in short.stderr
    unknown = set_password(server.database_url, "nobody-here", PASSWORD)
    assert unknown.returncode == 1 and "no user 'nobody-here'" in unknown.stderr
    assert (await user_row(server.database_url, "office2")).password_hash == before
    c, r = console_client(server, username="office2", password="short")
    assert r.status_code == 401 and "Name or password" in r.text
    c.close()


async def test_wrong_passwords_lock_the_user_until_a_supervisor_unlocks_it(
    server: ThreadServer, console: httpx.Client, supervisor: httpx.Client
):
    await office_user(server.database_url, "office3")

    def attempt(password: str) -> int:
        c, r = console_client(server, username="office3", password=password)
        c.close()
        return r.status_code

    # Ten wrong guesses at once: the conditional UPDATE lets five be checked, no more.
    wrong = [asyncio.to_thread(attempt, f"wrong-{k:06d}") for k in range(10)]
    assert await asyncio.gather(*wrong) == [401] * 10
    assert (await user_row(server.database_url, "office3")).failed_logins == auth.MAX_FAILED_LOGINS
    assert attempt(PASSWORD) == 401  # locked: even the right password is refused
    failed = supervisor.get("/api/v1/audit", params={"action": "login_failed"}).json()
    mine = [f["detail"] for f in failed if f["target"] == "user:office3"]
    assert sum(d.startswith("wrong password") for d in mine) == auth.MAX_FAILED_LOGINS
    assert "locked: too many wrong attempts" in mine
    page = console.get("/ui/security").text
    assert 'data-user="office3"' in page
    r = console.post("/ui/security/users/office3/unlock", headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 403 and r.json()["code"] == "csrf"
    assert (await user_row(server.database_url, "office3")).failed_logins == auth.MAX_FAILED_LOGINS
    done = console.post("/ui/security/users/office3/unlock")
    assert done.status_code == 200 and "User office3 unlocked" in done.text
    assert attempt(PASSWORD) == 302
    r = console.post("/ui/security/users/nobody-here/unlock")
    assert r.status_code == 404 and 'data-code="unknown_user"' in r.text


def stream_ends(server: ThreadServer, cookies: httpx.Cookies, after: object) -> float:
    """Open the board's stream, call `after()`, and return how long the stream then took to
    end with its `signout` event (fails if it does not within 5 s)."""
    with (
        httpx.Client(base_url=server.url, cookies=cookies, timeout=10) as c,
        c.stream("GET", "/ui/events") as r,
    ):
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        lines = r.iter_lines()
        assert next(lines).startswith(("event:", "id:", "data:"))  # the current state first
        start = time.monotonic()
        after()  # type: ignore[operator]
        seen: list[str] = []
        for line in lines:
            seen.append(line)
            assert time.monotonic() - start < 5, "the stream outlived its session"
        took = time.monotonic() - start
    assert "event: signout" in seen, seen[-5:]
    return took


def test_an_open_event_stream_ends_within_two_seconds_of_sign_out(server: ThreadServer):
    badge, pin = api.LOGINS["supervisor"]
    c, r = console_client(server, badge=badge, pin=pin)
    assert r.status_code == 302
    token = board_csrf(c)

    def sign_out() -> None:
        assert c.post("/ui/logout", headers={"X-CSRF-Token": token}).status_code == 302

    assert stream_ends(server, c.cookies, sign_out) < 2.5
    c.close()


def test_an_idle_session_s_stream_ends_at_the_idle_timeout(
    server: ThreadServer, monkeypatch: pytest.MonkeyPatch
):
    badge, pin = api.LOGINS["supervisor"]
    c, r = console_client(server, badge=badge, pin=pin)
    assert r.status_code == 302
    monkeypatch.setattr(sess, "IDLE_S", 2)  # the server runs in this process
    took = stream_ends(server, c.cookies, lambda: None)
    assert took < 3.5
    assert c.get("/ui/").status_code == 302  # and the page itself is signed out too
    c.close()


async def test_a_board_signed_out_elsewhere_goes_to_the_sign_in_page(
    page: Page, server: ThreadServer
):
    badge, pin = api.LOGINS["supervisor"]
    await page.goto(f"{server.url}/ui/login")
    await page.fill("input[name=badge]", badge)
    await page.fill("input[name=pin]", pin)
    await page.click("button[type=submit] >> nth=0")
    await expect(page).to_have_url(f"{server.url}/ui/")
    cookie = next(c for c in await page.context.cookies() if c["name"] == "wms_console")
    token = await page.eval_on_selector("form.signout input[name=csrf]", "e => e.value")
    # Another tab of the same session signs out: this board's stream ends, the page follows.
    r = httpx.post(f"{server.url}/ui/logout", cookies={"wms_console": cookie["value"]},
                   headers={"X-CSRF-Token": token})  # fmt: skip
    assert r.status_code == 302
    await expect(page).to_have_url(f"{server.url}/ui/login", timeout=3000)
