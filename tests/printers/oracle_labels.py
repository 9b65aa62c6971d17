"""Labels the oracle tests render: every template's golden file, plus a tricky label."""

from __future__ import annotations

from pathlib import Path

from printers.model import GS1_128, QR, Code128, DataMatrix, Label, Text
from printers.samples import sample_labels
from tests.printers.conftest import zebrash_render

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "labels"

# Field data that must survive escaping: ZPL command prefixes, the ^FH indicator,
# a backslash, UTF-8, a GS1 lot followed by another AI (FNC1 in the middle).
TRICKY = Label(
    812,
    1218,
    (
        Text(20, 20, "Zoë ^XZ ~HS _5E \\& ok", 36),
        Code128(40, 100, "AB^12>x~yz", 100),
        Code128(40, 260, "12345", 100),
        GS1_128(40, 420, [("10", "LOT^_~1"), ("21", "SN>42")], 100),
        GS1_128(40, 580, [("01", "04006381333931"), ("421", "25075001")], 100),
        QR(40, 760, "https://example.com/t?a=1&b=^~_é", 4),
        DataMatrix(450, 760, "DM ^XZ ~HS _ \\", 6),
    ),
)


def oracle_labels() -> dict[str, Label]:
    """Every sample template and the tricky label, by name."""
    return {**sample_labels(), "tricky": TRICKY}


def render_all(folder: Path, dpi: int) -> dict[str, list[Path]]:
    """Render the committed golden ZPL (the tricky label fresh) with zpl-renderer-js."""
    from printers.zpl import render_zpl

    jobs = []
    for name, label in oracle_labels().items():
        golden = GOLDEN / f"{name}.{dpi}.zpl"
        zpl = golden.read_bytes() if name != "tricky" else render_zpl(label, dpi)
        jobs.append((zpl, folder / f"{name}-{dpi}", label, dpi))
    return dict(zip(oracle_labels(), zebrash_render(jobs), strict=True))
