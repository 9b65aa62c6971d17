"""The floor reports as JSON agree with the console's board, and are for the office only."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx

from tests.support import api
from tests.web.conftest import new_order
from wms.loopback import ThreadServer


def board_html(server: ThreadServer) -> str:
    with httpx.Client(base_url=server.url) as c:
        page = c.get("/ui/login").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        badge, pin = api.LOGINS["supervisor"]
        r = c.post("/ui/login", data={"badge": badge, "pin": pin, "csrf": csrf})
        assert r.status_code == 302, r.text
        return c.get("/ui/").text


def test_the_floor_report_and_the_board_show_the_same_figures(
    server, integration: httpx.Client, supervisor: httpx.Client, picker: httpx.Client
):
    soon = (datetime.now(UTC) + timedelta(minutes=2)).strftime("%H:%M")
    orders = [new_order(integration, ("SKU-0008", 1), carrier="RUSH") for _ in range(2)]
    r = supervisor.post(
        "/api/v1/waves/",
        json={"order_ids": [o["id"] for o in orders], "iterations": 5, "cutoffs": {"RUSH": soon}},
        headers=api.idem(),
    )
    assert r.status_code == 201, r.text
    wave_id = r.json()["id"]
    report = supervisor.get("/api/v1/reports/floor").json()
    wave = next(w for w in report["waves"] if w["id"] == wave_id)
    assert (wave["orders"], wave["lines"], wave["units"], wave["pct_picked"]) == (2, 2, 2, 0)
    rush = next(c for c in report["carriers"] if c["carrier"] == "RUSH")
    assert rush["orders_not_packed"] == 2 and rush["lines_left"] == 2
    # Two lines cannot be picked in two minutes at this floor's pace: the cutoff is at risk.
    assert rush["at_risk"] and rush["seconds_left"] <= 120
    html = board_html(server)
    card = html[html.index(f'id="wave-{wave_id}"') :]
    assert f"{wave['orders']} orders · {wave['lines']} lines · {wave['units']} units" in card
    assert f'<span class="pct-picked">{wave["pct_picked"]}%</span>' in card
    assert re.search(r'<tr class="late" data-carrier="RUSH">', html)
    r = supervisor.post(f"/api/v1/waves/{wave_id}/cancel", headers=api.idem())
    assert r.status_code == 200, r.text


def test_the_reports_are_refused_to_a_picker(picker: httpx.Client):
    for name in ("floor", "throughput", "exceptions"):
        api.problem(picker.get(f"/api/v1/reports/{name}"), 403, "forbidden")


def test_throughput_and_exception_counts_answer_for_a_supervisor(supervisor: httpx.Client):
    t = supervisor.get("/api/v1/reports/throughput").json()
    assert len(t["lines_by_hour"]) == 24 and isinstance(t["pickers"], list)
    counts = supervisor.get("/api/v1/reports/exceptions").json()
    assert set(counts) >= {"short_picks", "failed_prints", "stalled_batches", "failing_pushes"}
