"""Fixtures for the printers tests: the independent oracles and the simulator."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from printers.code128 import FNC1
from printers.model import GS1_128, QR, Code128, DataMatrix, Label
from printers.simulator import SimulatorThread

ORACLE = Path(__file__).resolve().parents[1] / "oracle"


def zebrash_render(jobs: list[tuple[bytes, Path, Label, int]]) -> list[list[Path]]:
    """Render ZPL with zpl-renderer-js (node); jobs are (zpl, out prefix, label, dpi)."""
    if not (ORACLE / "node_modules" / "zpl-renderer-js").exists() or not shutil.which("node"):
        pytest.fail("zpl-renderer-js is not installed: run `make oracles`")
    payload = [
        {
            "zpl": zpl.decode("utf-8"),
            "out": str(out),
            "width_mm": label.width_mm,
            "height_mm": label.height_mm,
            "dpmm": {203: 8, 300: 12, 600: 24}[dpi],
        }
        for zpl, out, label, dpi in jobs
    ]
    result = subprocess.run(
        ["node", str(ORACLE / "render.js"), "--batch"],
        input=json.dumps(payload).encode(),
        capture_output=True,
        timeout=600,  # about 10 s on an idle machine; CI machines are not idle
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    return [[Path(p) for p in files] for files in json.loads(result.stdout)]


def pdf_pages(pdf: bytes, folder: Path, dpi: int = 200) -> list[Path]:
    """Rasterise a PDF with poppler's pdftoppm (the oracle for PDFs)."""
    if not shutil.which("pdftoppm"):
        pytest.fail("pdftoppm is not installed: run `make oracles` (poppler-utils)")
    src = folder / "doc.pdf"
    src.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-gray", "-png", str(src), str(folder / "page")],
        check=True,
        timeout=120,
    )
    return sorted(folder.glob("page*.png"))


def decode(path_or_image: Path | Image.Image) -> list[zxingcpp.Barcode]:
    """Every barcode zxing-cpp finds in the picture."""
    image = Image.open(path_or_image) if isinstance(path_or_image, Path) else path_or_image
    return list(zxingcpp.read_barcodes(image))


def expected_scans(label: Label) -> list[tuple[str, bytes]]:
    """(symbology identifier, raw bytes) a scanner should report for each barcode.

    For GS1-128 the symbology identifier is ]C1 and the leading FNC1 is implied by it;
    every further FNC1 (after a variable-length AI) arrives as GS (0x1D).
    """
    out = []
    for b in label.barcodes():
        if isinstance(b, GS1_128):
            out.append(("]C1", b.symbol_data.removeprefix(FNC1).encode()))
        elif isinstance(b, Code128):
            out.append(("]C0", b.data.encode()))
        elif isinstance(b, QR):
            out.append(("]Q1", b.data.encode()))
        elif isinstance(b, DataMatrix):
            out.append(("]d1", b.data.encode()))
    return sorted(out)


def scans(barcodes: list[zxingcpp.Barcode]) -> list[tuple[str, bytes]]:
    """What was decoded, in the same shape as ``expected_scans``."""
    return sorted((b.symbology_identifier, bytes(b.bytes)) for b in barcodes)


@pytest.fixture
def simulator() -> Iterator[SimulatorThread]:
    """A virtual printer on a free loopback port, in its own thread."""
    with SimulatorThread() as sim:
        yield sim
