"""`wms bench reports` runs end to end on a tiny year and writes what the note needs."""

from __future__ import annotations

import json
from pathlib import Path

from wms.bench import reports
from wms.cli import DEMO_SITE as DEMO
from wms.reports.margin import GROUPS
from wms.reports.margin_work import GROUPS as WORK_GROUPS


def test_the_reports_bench_writes_each_reports_p50_and_p99(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    url = f"sqlite+aiosqlite:///{tmp_path / 'bench.sqlite'}"
    assert (
        reports.main(
            [
                "--site",
                str(DEMO),
                "--orders",
                "60",
                "--repeat",
                "1",
                "--database",
                url,
                "--json",
                str(out),
            ]
        )  # fmt: skip
        == 0
    )
    result = json.loads(out.read_text())
    assert result["orders"] == 60 and result["load_s"] >= 0
    names = [*GROUPS, *(f"work_{g}" for g in WORK_GROUPS)]
    assert set(result["by_report"]) == {f"{g}/{span}" for g in names for span in ("month", "year")}
    assert all(v["p99_ms"] >= v["p50_ms"] > 0 for v in result["by_report"].values())
