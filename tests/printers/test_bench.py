"""The benchmark runs and reports both figures."""

from __future__ import annotations

import json

from printers.bench import main


def test_the_benchmark_writes_render_and_delivery_rates(tmp_path):
    out = tmp_path / "bench.json"
    main(["--json", str(out), "--seconds", "0.2", "--labels", "20"])
    result = json.loads(out.read_text())
    assert set(result) == {"render_per_s", "deliver_per_s"}
    assert result["render_per_s"] > 0 and result["deliver_per_s"] > 0
