"""The tracking bench, at a tiny size: its figures are all there and nothing failed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

KEYS = {
    "pass_s", "webhook_p50_ms", "webhook_p99_ms", "floor_p99_ms",
    "floor_p99_ms_without_tracking", "parcels", "events", "errors",
}  # fmt: skip


def test_a_tiny_tracking_bench_polls_every_parcel_and_takes_every_webhook(tmp_path: Path):
    out = tmp_path / "tracking.json"
    command = [
        sys.executable, "-m", "wms.cli", "bench", "tracking", "--parcels", "200",
        "--webhooks-per-min", "600", "--quiet-s", "1", "--min-load-s", "3", "--pickers", "2",
        "--packers", "1", "--orders", "4", "--speed", "20", "--json", str(out),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result.keys() >= KEYS
    assert result["errors"] == 0
    assert result["parcels"] == 200 and result["asked"] == 200
    assert result["new_events"] == 400  # two events a parcel from the fake carrier
    assert result["carrier_calls"] == 2  # in batches of 100
    assert result["events"] >= 20  # 600 a minute for at least 3 s
    assert result["floor_calls"] > 0
    # Every change the pass and the webhooks made is told to its channel, or queued to be.
    assert result["channel_tells_sent"] + result["channel_tells_left"] >= 400
    assert result["outbox"] == "wms worker"
