"""The README's tour works as printed, against the demo warehouse."""

from __future__ import annotations

import json
import re

from wms.config import ROOT


def _tour_body(path: str) -> dict:
    readme = (ROOT / "README.md").read_text()
    match = re.search(re.escape(path) + r""".*?\n.*?-d '(\{.*?\})'""", readme)
    assert match, f"no {path} example in the README"
    return json.loads(match.group(1))


def test_the_readmes_receive_example_is_accepted_and_lands_in_the_ledger(supervisor):
    body = _tour_body("/api/v1/stock/receive")
    r = supervisor.post("/api/v1/stock/receive", json=body)
    assert r.status_code == 201, r.text
    moves = supervisor.get("/api/v1/stock/moves", params={"sku": body["sku"], "limit": 3})
    assert moves.status_code == 200
    assert any(m["qty"] == body["qty"] for m in moves.json()), moves.text
