"""Every template still renders byte for byte as its golden file in fixtures/labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from printers.samples import GOLDEN_DPI, sample_labels, write_golden
from printers.zpl import render_zpl

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "labels"


@pytest.mark.parametrize("dpi", GOLDEN_DPI)
@pytest.mark.parametrize("name", list(sample_labels()))
def test_the_template_renders_exactly_its_golden_zpl(name, dpi):
    golden = GOLDEN / f"{name}.{dpi}.zpl"
    assert golden.exists(), "regenerate with: python -m printers.samples fixtures/labels"
    assert render_zpl(sample_labels()[name], dpi) == golden.read_bytes()


def test_regenerating_the_golden_files_writes_one_file_per_template_and_resolution(tmp_path):
    written = write_golden(str(tmp_path))
    assert len(written) == len(sample_labels()) * len(GOLDEN_DPI)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in GOLDEN.glob("*.zpl")
    )
