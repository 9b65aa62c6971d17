"""Every answer says how long the server took (Server-Timing), refusals included."""

from __future__ import annotations

import re

import httpx

from tests.support import api


def test_every_answer_carries_the_servers_own_time(server):
    ok = httpx.get(f"{server.url}/health")
    refused = httpx.get(f"{server.url}/api/v1/auth/me")  # no token: 401
    with api.client(server.url, api.login(server.url, "picker2")) as c:
        scanned = c.get("/api/v1/auth/me")
    for answer, status in ((ok, 200), (refused, 401), (scanned, 200)):
        assert answer.status_code == status
        timing = re.fullmatch(r"app;dur=(\d+\.\d)", answer.headers["server-timing"])
        assert timing, answer.headers["server-timing"]
        assert 0 <= float(timing.group(1)) < 10_000
