"""The PIN lock-out under parallel guessing, its indistinguishable answer, and the unlock."""

from __future__ import annotations

import logging
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.support.api import problem


def _login(url: str, badge: str, pin: str) -> httpx.Response:
    return httpx.post(f"{url}/api/v1/auth/login", json={"badge": badge, "pin": pin}, timeout=120)


def _same_answer(a: httpx.Response, b: httpx.Response) -> None:
    assert a.status_code == b.status_code
    assert a.json() == b.json()
    assert a.headers["content-type"] == b.headers["content-type"]


def test_two_hundred_wrong_pins_at_once_check_at_most_five_and_the_right_one_learns_nothing(
    server, supervisor
):
    with ThreadPoolExecutor(max_workers=40) as pool:
        answers = list(pool.map(lambda _: _login(server.url, "B1006", "0000"), range(200)))
    for a in answers:
        problem(a, 401, "bad_login")
        _same_answer(a, answers[0])
    right = _login(server.url, "B1006", "1234")
    _same_answer(right, answers[0])  # locked: the right PIN is answered as a wrong one
    refused = supervisor.get("/api/v1/auth/failed-logins", params={"limit": 1000}).json()
    mine = [r for r in refused if r["target"] == "badge:B1006"]
    assert len(mine) == 201
    checked = [r for r in mine if r["detail"].startswith("wrong PIN")]
    assert len(checked) == 5, [r["detail"] for r in mine][:10]
    assert sum(r["detail"].startswith("locked") for r in mine) == 196


def test_a_locked_or_unknown_badge_takes_as_long_as_a_wrong_pin(server):
    def timed(badge: str, pin: str) -> tuple[float, httpx.Response]:
        started = time.perf_counter()
        r = _login(server.url, badge, pin)
        return time.perf_counter() - started, r

    first = [timed("B1005", "0000") for _ in range(5)]  # the fifth locks B1005
    # Interleaved, so the machine's drift from one second to the next falls on all three
    # alike: wrong PINs on a badge that stays open (four, under the limit), the locked
    # badge's right PIN, an unknown badge.
    wrong, locked, unknown = [], [], []
    for _ in range(4):
        wrong.append(timed("B1008", "0000"))
        locked.append(timed("B1005", "1234"))
        unknown.append(timed("NO-SUCH-BADGE", "1234"))
    for _, r in first + wrong + locked + unknown:
        _same_answer(r, first[0][1])
    slow = statistics.median(t for t, _ in wrong)
    # The same scrypt runs for a badge that may not log in; without it these answer in ~1/10.
    assert statistics.median(t for t, _ in locked) > slow * 0.5
    assert statistics.median(t for t, _ in unknown) > slow * 0.5


def test_a_supervisor_unlocks_a_badge_and_the_audit_log_says_who_and_which(
    server, supervisor, picker
):
    for _ in range(5):
        problem(_login(server.url, "B1004", "0000"), 401, "bad_login")
    problem(_login(server.url, "B1004", "1234"), 401, "bad_login")
    problem(picker.post("/api/v1/auth/badges/B1004/unlock"), 403, "forbidden")
    problem(supervisor.post("/api/v1/auth/badges/NOPE/unlock"), 404, "unknown_badge")
    r = supervisor.post("/api/v1/auth/badges/B1004/unlock")
    assert r.status_code == 200, r.text
    assert r.json()["were"] == 5 and r.json()["username"] == "picker4"
    assert _login(server.url, "B1004", "1234").status_code == 200
    lines = supervisor.get("/api/v1/audit", params={"action": "badge_unlocked"}).json()
    assert lines[0]["actor"] == "super" and lines[0]["target"] == "badge:B1004"
    assert lines[0]["at"]


def test_failed_logins_are_for_a_supervisor_and_never_show_the_pin(
    server, supervisor, picker, caplog
):
    with caplog.at_level(logging.WARNING, logger="wms.security"):
        problem(_login(server.url, "B2004", "987654"), 401, "bad_login")
    logged = [r.getMessage() for r in caplog.records if r.name == "wms.security"]
    assert any("B2004" in line for line in logged) and not any("987654" in m for m in logged)
    problem(picker.get("/api/v1/auth/failed-logins"), 403, "forbidden")
    rows = supervisor.get("/api/v1/auth/failed-logins").json()
    row = next(r for r in rows if r["target"] == "badge:B2004")
    assert row["action"] == "login_failed" and row["actor"] == "anonymous"
    assert "987654" not in str(rows)
