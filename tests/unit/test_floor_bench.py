"""The floor bench, at a tiny size: its people work, its figures are there, nothing failed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

KEYS = {"calls", "p50_ms", "p99_ms", "server_p99_ms", "picks", "errors", "violations"}


def test_a_tiny_floor_bench_picks_and_packs_without_an_error(tmp_path: Path):
    out = tmp_path / "floor.json"
    command = [
        sys.executable, "-m", "wms.cli", "bench", "floor", "--pickers", "3", "--packers", "2",
        "--orders", "8", "--speed", "50", "--json", str(out),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result.keys() >= KEYS
    assert result["errors"] == 0 and result["violations"] == 0
    assert result["picks"] > 0 and result["labels_printed"] > 0
