"""The margin dashboard's pictures: bar charts drawn as inline SVG on the server.

No script and no chart library: the page's Content-Security-Policy allows neither inline
script nor a CDN, and a static picture of the figures is all the merchant needs. Every bar
carries its figure (``data-key``, ``data-value``) and a ``<title>`` a pointer shows, and
links to the orders behind it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from markupsafe import Markup

WIDTH = 720
BAR_H = 22  # a horizontal chart's row
LABEL_W = 180  # room for a horizontal chart's labels
VALUE_W = 90  # room for the figure at a bar's end


@dataclass(frozen=True)
class Bar:
    key: str
    label: str
    value: Decimal
    href: str = ""


def _scale(values: Sequence[Decimal]) -> tuple[Decimal, Decimal]:
    """The lowest and highest value a chart shows; zero is always on it."""
    low = min([Decimal(0), *values])
    high = max([Decimal(0), *values])
    if high == low:
        high = low + 1
    return low, high


def _a(bar: Bar, inner: str) -> str:
    if not bar.href:
        return inner
    return f'<a href="{escape(bar.href)}">{inner}</a>'


def hbars(name: str, bars: Sequence[Bar], currency: str) -> Markup:
    """One row per bar, its label left, its figure at its end; negative bars go left of 0."""
    if not bars:
        return Markup('<p class="empty">Nothing in this range.</p>')
    low, high = _scale([b.value for b in bars])
    plot = WIDTH - LABEL_W - VALUE_W
    x0 = LABEL_W + float(-low / (high - low)) * plot
    height = BAR_H * len(bars) + 6
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'data-chart="{escape(name)}" aria-label="{escape(name)} in {escape(currency)}">'
    ]
    for i, bar in enumerate(bars):
        y = 3 + i * BAR_H
        w = float(abs(bar.value) / (high - low)) * plot
        x = x0 - w if bar.value < 0 else x0
        cls = "bar neg" if bar.value < 0 else "bar"
        figure = f"{bar.value:,.2f}"
        parts.append(
            f'<g class="row" data-key="{escape(bar.key)}" data-value="{bar.value}">'
            f"<title>{escape(bar.label)}: {figure} {escape(currency)}</title>"
            f'<text class="label" x="{LABEL_W - 6}" y="{y + 15}" text-anchor="end">'
            f"{escape(bar.label[:28])}</text>"
            + _a(bar, f'<rect class="{cls}" x="{x:.1f}" y="{y + 2}" width="{max(w, 1):.1f}" '
                      f'height="{BAR_H - 6}"/>')
            + f'<text class="value" x="{max(x0, x + w) + 4:.1f}" y="{y + 15}">{figure}</text>'
            "</g>"
        )  # fmt: skip
    parts.append(f'<line class="zero" x1="{x0:.1f}" x2="{x0:.1f}" y1="0" y2="{height}"/></svg>')
    return Markup("".join(parts))


def vbars(name: str, bars: Sequence[Bar], currency: str, height: int = 220) -> Markup:
    """Columns left to right (days), the zero line across, a label under every few."""
    if not bars:
        return Markup('<p class="empty">Nothing in this range.</p>')
    low, high = _scale([b.value for b in bars])
    top, bottom, left = 16, 28, 56
    plot_h = height - top - bottom
    step = (WIDTH - left - 8) / len(bars)
    y0 = top + float(high / (high - low)) * plot_h
    every = max(1, len(bars) // 10)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'data-chart="{escape(name)}" aria-label="{escape(name)} in {escape(currency)}">',
        f'<text class="axis" x="{left - 4}" y="{top + 4}" text-anchor="end">{high:,.0f}</text>',
        f'<text class="axis" x="{left - 4}" y="{y0 + 3:.1f}" text-anchor="end">0</text>',
    ]
    if low < 0:
        parts.append(
            f'<text class="axis" x="{left - 4}" y="{top + plot_h}" text-anchor="end">'
            f"{low:,.0f}</text>"
        )
    for i, bar in enumerate(bars):
        h = float(abs(bar.value) / (high - low)) * plot_h
        x = left + i * step + step * 0.1
        y = y0 - h if bar.value >= 0 else y0
        cls = "bar neg" if bar.value < 0 else "bar"
        figure = f"{bar.value:,.2f}"
        parts.append(
            f'<g class="col" data-key="{escape(bar.key)}" data-value="{bar.value}">'
            f"<title>{escape(bar.label)}: {figure} {escape(currency)}</title>"
            + _a(bar, f'<rect class="{cls}" x="{x:.1f}" y="{y:.1f}" width="{step * 0.8:.1f}" '
                      f'height="{max(h, 1):.1f}"/>')
            + (f'<text class="axis" x="{x + step * 0.4:.1f}" y="{height - 10}" '
               f'text-anchor="middle">{escape(bar.label[5:])}</text>' if i % every == 0 else "")
            + "</g>"
        )  # fmt: skip
    parts.append(
        f'<line class="zero" x1="{left}" x2="{WIDTH - 4}" y1="{y0:.1f}" y2="{y0:.1f}"/></svg>'
    )
    return Markup("".join(parts))
