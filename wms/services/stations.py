"""Pack stations: loaded from stations.json, their printers' status, and reading their scale."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import serial
from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.db import Database, reads
from wms.errors import Conflict, NotFound, WmsError
from wms.models.shipping import PackStation
from wms.services import printing
from wms.services.sql import upsert

MAX_WEIGHT_G = 70_000
SCALE_TIMEOUT_S = 1.0
SCALE_TRIES = 5
# MT-SICS (Mettler Toledo and many clones): "S" asks a stable weight, "S S   0.812 kg" answers.
_SICS = re.compile(r"^S\s+(S|D|I|\+|-)\s*(-?[\d.]+)?\s*(g|kg|lb|oz)?\s*$")
_TO_GRAMS = {"g": 1.0, "kg": 1000.0, "lb": 453.59237, "oz": 28.349523125}


async def load_stations(db: Database, path: str | Path) -> int:
    """Insert or update every station of a stations.json (``{"stations": [...]}``)."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    items = raw["stations"] if isinstance(raw, dict) else raw
    return await db.run(upsert_stations, items)


def upsert_stations(s: Session, items: list[dict[str, Any]]) -> int:
    """The same inside a caller's transaction."""
    for item in items:
        values = {
            "code": item["code"],
            "name": item.get("name", ""),
            "label_printer_url": item["label_printer_url"],
            "document_printer_url": item.get("document_printer_url", ""),
            "scale_url": item.get("scale_url", ""),
            "label_dpi": int(item.get("label_dpi", 203)),
            "active": bool(item.get("active", True)),
        }
        stmt = upsert(s, PackStation.__table__).values(**values)
        s.execute(
            stmt.on_conflict_do_update(
                index_elements=["code"], set_={k: v for k, v in values.items() if k != "code"}
            )
        )
    return len(items)


async def get_station(db: Database, code: str) -> PackStation:
    return await db.run(_station, code)


@reads
def _station(s: Session, code: str) -> PackStation:
    station = station_in(s, code)
    s.expunge(station)  # read after the snapshot ends (its printers, its scale)
    return station


def station_in(s: Session, code: str) -> PackStation:
    row = s.execute(select(PackStation).where(PackStation.code == code)).scalar_one_or_none()
    if row is None or not row.active:
        raise NotFound("unknown_station", "Unknown station", f"no pack station {code!r}")
    return row


async def station_view(db: Database, code: str) -> dict[str, Any]:
    station = await get_station(db, code)
    label = await printing.printer_status(db, station.label_printer_url)
    document = (
        await printing.printer_status(db, station.document_printer_url)
        if station.document_printer_url
        else None
    )
    scale = {"url": station.scale_url} if station.scale_url else None
    return {"code": station.code, "label_printer": label, "document_printer": document,
            "scale": scale}  # fmt: skip


def parse_sics(line: str) -> int:
    """Grams from one MT-SICS answer line; WmsError for unstable, overload, underload."""
    m = _SICS.match(line.strip())
    if not m:
        raise WmsError("scale_error", "Scale answer unclear", f"unreadable answer {line!r}")
    state, value, unit = m.groups()
    if state == "D":
        raise Conflict("scale_unstable", "Scale not steady", "the weight is still moving")
    if state in ("+", "-"):
        raise WmsError("scale_range", "Weight out of range", f"scale says {state}")
    if state == "I" or value is None:
        raise Conflict("scale_busy", "Scale busy, retry", "the scale could not weigh now")
    grams = round(float(value) * _TO_GRAMS[unit or "g"])
    return grams


def _read_scale(url: str) -> int:
    try:
        port = serial.serial_for_url(url, timeout=SCALE_TIMEOUT_S)
    except (serial.SerialException, ValueError) as exc:
        raise Conflict("scale_offline", "Scale offline", f"{url}: {exc}") from exc
    last: WmsError | None = None
    try:
        for _ in range(SCALE_TRIES):
            port.reset_input_buffer()
            port.write(b"S\r\n")
            line = port.readline().decode("ascii", "replace")
            if not line:
                raise Conflict("scale_offline", "Scale offline", f"{url}: no answer")
            try:
                return parse_sics(line)
            except Conflict as exc:  # unstable or busy: ask again
                last = exc
    finally:
        port.close()
    assert last is not None
    raise last


async def read_scale(station: PackStation) -> int:
    """The weight on the station's scale in grams; `no_scale` when it has none."""
    if not station.scale_url:
        raise WmsError("no_scale", "No scale, type it", f"{station.code} has no scale")
    grams = await asyncio.to_thread(_read_scale, station.scale_url)
    if grams <= 0 or grams > MAX_WEIGHT_G:
        raise WmsError("bad_weight", "Weight out of range", f"scale reads {grams} g")
    return grams
