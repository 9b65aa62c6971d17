"""PDF documents: a label on its own page, packing slip, pick list, location label sheet."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.units import mm as MM
from reportlab.pdfgen.canvas import Canvas

from printers.labels import Address, LocationLabelData, locality_line, location_label
from printers.model import Label
from printers.pdfdraw import PT_PER_DOT, draw_code128, draw_label, fonts

PageSize = Literal["A4", "Letter"]
_PAGES = {"A4": A4, "Letter": LETTER}
MARGIN = 15 * MM
BAR_MODULE = 0.8  # points (~0.28 mm): scans from paper printed at 300 dpi or better


def label_pdf(labels: Label | Sequence[Label]) -> bytes:
    """One page per label, page size = label size, for offices without a thermal printer."""
    labels = [labels] if isinstance(labels, Label) else list(labels)
    out = io.BytesIO()
    c = Canvas(out, pageCompression=1)
    c.setTitle("Labels")
    for label in labels:
        w, h = label.width * PT_PER_DOT, label.height * PT_PER_DOT
        c.setPageSize((w, h))
        draw_label(c, label, 0, h)
        c.showPage()
    c.save()
    return out.getvalue()


@dataclass(frozen=True)
class SlipLine:
    """One line of a packing slip."""

    sku: str
    name: str
    quantity: int


@dataclass(frozen=True)
class PackingSlipData:
    """What goes in the box with the goods."""

    order_ref: str
    ship_to: Address
    sender: Address
    lines: Sequence[SlipLine]
    order_date: str = ""
    tracking_number: str = ""
    note: str = ""


@dataclass(frozen=True)
class PickLine:
    """One stop of a pick list."""

    seq: int
    location: str
    sku: str
    name: str
    quantity: int
    tote: str = ""


@dataclass(frozen=True)
class PickListData:
    """A paper pick list for a batch, in walking order."""

    batch_ref: str
    picker: str
    lines: Sequence[PickLine]
    created: str = ""
    totes: Sequence[str] = field(default_factory=tuple)


class _Doc:
    """A canvas with a cursor that starts a new page when the next block does not fit."""

    def __init__(self, page: PageSize, title: str, header: Callable[[_Doc], None]) -> None:
        self.out = io.BytesIO()
        self.size = _PAGES[page]
        self.c = Canvas(self.out, pagesize=self.size, pageCompression=1)
        self.c.setTitle(title)
        self.regular, self.bold = fonts()
        self.header = header
        self.page = 1
        self.y = self.size[1] - MARGIN
        header(self)

    def need(self, height: float) -> None:
        if self.y - height < MARGIN + 10:
            self.c.setFont(self.regular, 8)
            self.c.drawRightString(self.size[0] - MARGIN, MARGIN / 2, f"page {self.page}")
            self.c.showPage()
            self.page += 1
            self.y = self.size[1] - MARGIN
            self.header(self)

    def text(self, x: float, s: str, size: float = 10, bold: bool = False) -> None:
        self.c.setFont(self.bold if bold else self.regular, size)
        self.c.drawString(x, self.y - size, s)

    def finish(self) -> bytes:
        self.c.setFont(self.regular, 8)
        self.c.drawRightString(self.size[0] - MARGIN, MARGIN / 2, f"page {self.page}")
        self.c.save()
        return self.out.getvalue()


def _address(doc: _Doc, x: float, title: str, a: Address) -> None:
    y0 = doc.y
    doc.text(x, title, 8, bold=True)
    doc.y -= 12
    for line in (a.name, *a.lines, locality_line(a), a.country):
        doc.text(x, line, 10)
        doc.y -= 13
    doc.y = y0


def packing_slip_pdf(d: PackingSlipData, page: PageSize = "A4") -> bytes:
    """The packing slip: addresses, order barcode, lines with SKU barcodes, totals."""
    left = MARGIN

    def header(doc: _Doc) -> None:
        doc.text(left, "PACKING SLIP", 18, bold=True)
        doc.text(doc.size[0] / 2, f"Order {d.order_ref}", 14, bold=True)
        doc.y -= 26
        if doc.page == 1:
            draw_code128(doc.c, d.order_ref, doc.size[0] / 2, doc.y - 40, BAR_MODULE * 1.5, 40)
            _address(doc, left, "FROM", d.sender)
            doc.y -= 52
            doc.text(doc.size[0] / 2, f"Date {d.order_date}", 9)
            if d.tracking_number:
                doc.y -= 12
                doc.text(doc.size[0] / 2, f"Tracking {d.tracking_number}", 9)
                doc.y += 12
            doc.y -= 40
            _address(doc, left, "SHIP TO", d.ship_to)
            doc.y -= 100
        doc.text(left, "SKU", 9, bold=True)
        doc.text(left + 150, "Item", 9, bold=True)
        doc.text(doc.size[0] - MARGIN - 40, "Qty", 9, bold=True)
        doc.y -= 14
        doc.c.line(left, doc.y, doc.size[0] - MARGIN, doc.y)
        doc.y -= 4

    doc = _Doc(page, f"Packing slip {d.order_ref}", header)
    for line in d.lines:
        doc.need(40)
        draw_code128(doc.c, line.sku, left, doc.y - 26, BAR_MODULE, 24)
        doc.y -= 28
        doc.text(left, line.sku, 8)
        doc.y += 24
        doc.text(left + 150, line.name[:70], 10)
        doc.text(doc.size[0] - MARGIN - 40, str(line.quantity), 12, bold=True)
        doc.y -= 40
    doc.need(40)
    doc.c.line(left, doc.y, doc.size[0] - MARGIN, doc.y)
    doc.y -= 6
    total = sum(line.quantity for line in d.lines)
    doc.text(left + 150, f"{len(d.lines)} lines, {total} items", 10, bold=True)
    if d.note:
        doc.y -= 20
        doc.text(left, d.note[:110], 9)
    return doc.finish()


def pick_list_pdf(d: PickListData, page: PageSize = "A4") -> bytes:
    """The pick list: batch barcode, then one row per stop with the location's barcode."""
    left = MARGIN

    def header(doc: _Doc) -> None:
        doc.text(left, f"PICK LIST {d.batch_ref}", 16, bold=True)
        doc.text(doc.size[0] - MARGIN - 150, f"Picker {d.picker}", 10)
        doc.y -= 22
        if doc.page == 1:
            draw_code128(doc.c, d.batch_ref, left, doc.y - 36, BAR_MODULE * 1.5, 36)
            doc.text(doc.size[0] / 2, f"{len(d.lines)} stops  {d.created}", 10)
            if d.totes:
                doc.y -= 14
                doc.text(doc.size[0] / 2, "Totes " + ", ".join(d.totes), 9)
                doc.y += 14
            doc.y -= 48
        cols = (("#", 0), ("Location", 24), ("SKU", 190), ("Item", 290), ("Qty", 440),
                ("Tote", 475))  # fmt: skip
        for title, dx in cols:
            doc.text(left + dx, title, 9, bold=True)
        doc.y -= 14
        doc.c.line(left, doc.y, doc.size[0] - MARGIN, doc.y)
        doc.y -= 4

    doc = _Doc(page, f"Pick list {d.batch_ref}", header)
    for line in d.lines:
        doc.need(44)
        doc.text(left, str(line.seq), 10)
        draw_code128(doc.c, line.location, left + 24, doc.y - 28, BAR_MODULE, 26)
        doc.y -= 30
        doc.text(left + 24, line.location, 8, bold=True)
        doc.y += 30
        doc.text(left + 190, line.sku, 9)
        doc.text(left + 290, line.name[:26], 9)
        doc.text(left + 440, str(line.quantity), 12, bold=True)
        doc.text(left + 475, line.tote, 9)
        doc.y -= 44
    return doc.finish()


def location_sheet_pdf(locations: Sequence[LocationLabelData], page: PageSize = "A4") -> bytes:
    """Shelf location labels (100 x 50 mm, 2 x 5 per page) for a desktop printer."""
    size = _PAGES[page]
    out = io.BytesIO()
    c = Canvas(out, pagesize=size, pageCompression=1)
    c.setTitle("Location labels")
    cell_w, cell_h = 100 * MM, 50 * MM
    cols, rows = int(size[0] // cell_w), int((size[1] - 10 * MM) // cell_h)
    x0 = (size[0] - cols * cell_w) / 2
    y0 = size[1] - (size[1] - rows * cell_h) / 2
    per_page = cols * rows
    for index, location in enumerate(locations):
        if index and index % per_page == 0:
            c.showPage()
        slot = index % per_page
        col, row = slot % cols, slot // cols
        x, top = x0 + col * cell_w, y0 - row * cell_h
        c.setStrokeGray(0.8)  # cutting guide
        c.setLineWidth(0.3)
        c.rect(x, top - cell_h, cell_w, cell_h, stroke=1, fill=0)
        c.setStrokeGray(0)
        draw_label(c, location_label(location), x, top)
    c.showPage()
    c.save()
    return out.getvalue()
