"""Warehouse layout: locations from the layout file, and walking distances on the aisle graph.

Layout file (a site's ``layout.json``), metres throughout:

- ``pick_area``: ``aisles`` parallel picking aisles, centre lines at
  ``first_aisle_x + i * aisle_spacing``; ``blocks`` (front to back) each with
  ``bays_per_side`` bays of ``bay_width`` on both sides of every aisle; a cross aisle
  of ``cross_aisle_width`` runs in front of, between and behind the blocks (so
  ``len(blocks) + 1`` cross aisles, the front one at y = 0). Levels in
  ``pick_levels`` are pick faces, levels in ``reserve_levels`` are reserve rack.
- ``zones``: a zone letter per range of aisles.
- ``depot``: where every pick route starts and ends, on the front cross aisle at ``x``.
- ``areas``: non-pick locations (pack stations, staging lanes, dock doors, returns,
  quarantine, floor reserve): ``count`` of them named ``PREFIX-01``.., the first at
  (``x``, ``y``), each next one ``dx``/``dy`` further.

Rack location codes read ``A03-12-2``: zone letter and aisle number (``A03``), bay
(``12``), level (``2``). Bays are numbered from the front along the whole aisle,
odd bays on the left side (smaller x), even bays on the right, so bay 1 and bay 2
face each other. ``check_code`` is two digits from a salted SHA-256 of the code:
printed on the shelf label, typed by a picker who cannot scan, and not derivable
from the code without the site's salt.
"""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KINDS = ("pick", "reserve", "staging", "pack", "dock", "returns", "quarantine")


@dataclass(frozen=True, slots=True)
class Point:
    """A place a picker can stand: inside aisle ``aisle`` (index from 0) or, if
    ``aisle`` is None, on a cross aisle (then ``y`` is that cross aisle's y)."""

    x: float
    y: float
    aisle: int | None = None


@dataclass(frozen=True, slots=True)
class LocationSpec:
    code: str
    kind: str
    zone: str
    aisle: int | None  # aisle number from 1, as printed; None off the rack area
    bay: int | None
    level: int | None
    side: str  # "L", "R" or "" off the rack area
    x: float  # metres; rack locations: the aisle centre line in front of the bay
    y: float
    walk_seq: int  # serpentine order over pick locations from 1; 0 for the rest
    check_code: str
    block: int | None = None  # block index from 0 (front block first)

    @property
    def point(self) -> Point:
        """Where the picker stands: rack x/y are on the aisle centre line already."""
        return Point(self.x, self.y, None if self.aisle is None else self.aisle - 1)


class Geometry:
    """Rectangular multi-block warehouse: parallel aisles crossing every cross aisle.

    Shortest walks use the cross aisles for horizontal and the aisles for vertical
    movement; a point may sit anywhere in an aisle or on a cross aisle.
    """

    def __init__(self, aisle_x: list[float], cross_y: list[float], depot_x: float) -> None:
        if sorted(aisle_x) != list(aisle_x) or len(aisle_x) < 1:
            raise ValueError("aisle x positions must be ascending and non-empty")
        if sorted(cross_y) != list(cross_y) or len(cross_y) < 2:
            raise ValueError("need a front and a back cross aisle, ascending y")
        self.aisle_x = tuple(float(x) for x in aisle_x)
        self.cross_y = tuple(float(y) for y in cross_y)
        self.depot = Point(float(depot_x), self.cross_y[0], None)

    @property
    def blocks(self) -> int:
        return len(self.cross_y) - 1

    def block_of(self, y: float) -> int:
        """Index of the block containing y (a y on a middle cross aisle counts as the
        block behind it; the back cross aisle as the last block)."""
        return min(max(bisect_right(self.cross_y, y) - 1, 0), self.blocks - 1)

    def aisle_point(self, aisle: int, y: float) -> Point:
        return Point(self.aisle_x[aisle], float(y), aisle)

    def _exits(self, p: Point) -> list[tuple[int, float, float]]:
        """(cross aisle index, x on it, walk to reach it) for every way out of p."""
        if p.aisle is None:
            return [(self.cross_y.index(p.y), p.x, 0.0)]
        b = self.block_of(p.y)
        lo, hi = self.cross_y[b], self.cross_y[b + 1]
        return [(b, p.x, p.y - lo), (b + 1, p.x, hi - p.y)]

    def _across(self, x1: float, x2: float) -> float:
        """Horizontal walk from x1 to x2 passing through some aisle (to change cross aisle)."""
        lo, hi = min(x1, x2), max(x1, x2)
        i = bisect_left(self.aisle_x, lo)
        if i < len(self.aisle_x) and self.aisle_x[i] <= hi:
            return hi - lo
        best = float("inf")
        for j in (i - 1, i):
            if 0 <= j < len(self.aisle_x):
                best = min(best, abs(x1 - self.aisle_x[j]) + abs(self.aisle_x[j] - x2))
        return best

    def distance(self, p: Point, q: Point) -> float:
        """Shortest walk between two points on the aisle graph."""
        same_aisle = p.aisle is not None and p.aisle == q.aisle
        if same_aisle and (
            self.block_of(p.y) == self.block_of(q.y) or _between(self.cross_y, p.y, q.y)
        ):
            return abs(p.y - q.y)
        best = float("inf")
        for c1, x1, d1 in self._exits(p):
            for c2, x2, d2 in self._exits(q):
                if c1 == c2:
                    mid = abs(x1 - x2)
                else:
                    mid = abs(self.cross_y[c1] - self.cross_y[c2]) + self._across(x1, x2)
                best = min(best, d1 + mid + d2)
        return best


def _between(ys: tuple[float, ...], a: float, b: float) -> bool:
    """True if some y in ys lies in [min(a, b), max(a, b)]."""
    lo, hi = min(a, b), max(a, b)
    i = bisect_left(ys, lo)
    return i < len(ys) and ys[i] <= hi


def check_code(code: str, salt: str) -> str:
    """Two digits printed on the label; needs the site's salt to compute."""
    digest = hashlib.sha256(f"{salt}:{code}".encode()).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 100:02d}"


class Layout:
    """A warehouse site's layout: its locations and its walking geometry."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.name: str = str(data.get("name", ""))
        self.salt: str = str(data.get("check_salt", ""))
        pa = data["pick_area"]
        self.aisle_count = int(pa["aisles"])
        self.aisle_spacing = float(pa["aisle_spacing"])
        self.bay_width = float(pa["bay_width"])
        cross_w = float(pa["cross_aisle_width"])
        self.bays_per_side = [int(b["bays_per_side"]) for b in pa["blocks"]]
        self.pick_levels = [int(v) for v in pa["pick_levels"]]
        self.reserve_levels = [int(v) for v in pa.get("reserve_levels", [])]
        x0 = float(pa["first_aisle_x"])
        aisle_x = [round(x0 + i * self.aisle_spacing, 3) for i in range(self.aisle_count)]
        # Cross aisle centre lines: front at 0, then each block's rack plus a cross aisle.
        cross_y = [0.0]
        for bays in self.bays_per_side:
            cross_y.append(round(cross_y[-1] + cross_w + bays * self.bay_width, 3))
        self._cross_w = cross_w
        self.zones = [
            (str(z["code"]), int(z["first_aisle"]), int(z["last_aisle"])) for z in data["zones"]
        ]
        self.geometry = Geometry(aisle_x, cross_y, float(data.get("depot", {}).get("x", x0)))
        self._locations: list[LocationSpec] | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Layout:
        return cls(d)

    @classmethod
    def from_file(cls, path: str | Path) -> Layout:
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    def zone_of(self, aisle: int) -> str:
        for code, first, last in self.zones:
            if first <= aisle <= last:
                return code
        raise ValueError(f"aisle {aisle} is in no zone")

    def rack_code(self, aisle: int, bay: int, level: int) -> str:
        return f"{self.zone_of(aisle)}{aisle:02d}-{bay:02d}-{level}"

    def _positions(self) -> list[tuple[int, int, float]]:
        """(position along the aisle from 1, block, y) for every bay pair."""
        out: list[tuple[int, int, float]] = []
        k = 0
        for b, bays in enumerate(self.bays_per_side):
            start = self.geometry.cross_y[b] + self._cross_w / 2
            for i in range(bays):
                k += 1
                out.append((k, b, round(start + (i + 0.5) * self.bay_width, 3)))
        return out

    def locations(self) -> list[LocationSpec]:
        """Every location of the site: rack (pick and reserve levels) then areas."""
        if self._locations is None:
            self._locations = self._build()
        return list(self._locations)

    def _build(self) -> list[LocationSpec]:
        out: list[LocationSpec] = []
        positions = self._positions()
        seq = 0
        for aisle in range(1, self.aisle_count + 1):
            x = self.geometry.aisle_x[aisle - 1]
            # S-shape: odd aisles walked front to back, even aisles back to front.
            walk = positions if aisle % 2 == 1 else positions[::-1]
            for k, block, y in walk:
                for side, bay in (("L", 2 * k - 1), ("R", 2 * k)):
                    for level in self.pick_levels:
                        seq += 1
                        out.append(self._rack(aisle, bay, level, "pick", side, x, y, seq, block))
        for aisle in range(1, self.aisle_count + 1):
            x = self.geometry.aisle_x[aisle - 1]
            for k, block, y in positions:
                for side, bay in (("L", 2 * k - 1), ("R", 2 * k)):
                    for level in self.reserve_levels:
                        out.append(self._rack(aisle, bay, level, "reserve", side, x, y, 0, block))
        for area in self.data.get("areas", []):
            kind = str(area["kind"])
            if kind not in KINDS:
                raise ValueError(f"unknown location kind {kind!r}")
            for i in range(int(area["count"])):
                code = f"{area['prefix']}-{i + 1:02d}"
                x = float(area["x"]) + i * float(area.get("dx", 0.0))
                y = float(area["y"]) + i * float(area.get("dy", 0.0))
                out.append(
                    LocationSpec(
                        code,
                        kind,
                        str(area["zone"]),
                        None,
                        None,
                        None,
                        "",
                        x,
                        y,
                        0,
                        check_code(code, self.salt),
                    )
                )
        codes = [loc.code for loc in out]
        if len(set(codes)) != len(codes):
            raise ValueError("duplicate location codes in layout")
        return out

    def _rack(
        self,
        aisle: int,
        bay: int,
        level: int,
        kind: str,
        side: str,
        x: float,
        y: float,
        seq: int,
        block: int,
    ) -> LocationSpec:
        code = self.rack_code(aisle, bay, level)
        return LocationSpec(
            code,
            kind,
            self.zone_of(aisle),
            aisle,
            bay,
            level,
            side,
            x,
            y,
            seq,
            check_code(code, self.salt),
            block,
        )

    def location(self, code: str) -> LocationSpec:
        if not hasattr(self, "_by_code"):
            self._by_code = {loc.code: loc for loc in self.locations()}
        return self._by_code[code]

    def point_of(self, code: str) -> Point:
        """Where a picker stands for a location (non-pick areas: nearest front point)."""
        loc = self.location(code)
        if loc.aisle is not None:
            return self.geometry.aisle_point(loc.aisle - 1, loc.y)
        return Point(loc.x, self.geometry.cross_y[0], None)

    def distance(self, a: str, b: str) -> float:
        """Shortest walk between two locations (by code)."""
        return self.geometry.distance(self.point_of(a), self.point_of(b))
