"""Registering printers and adding, editing and disabling pack stations.

Each change is one short transaction that checks everything first and raises before
writing, so a refused change leaves nothing behind; every change adds an audit line (who,
what, which) in the same transaction. A station prints only on a known, active printer: a
registered one, or one a loaded station already named (registered on first change).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.db import reads
from wms.errors import Conflict, NotFound, WmsError
from wms.models.shipping import PackStation, Printer
from wms.services import audit
from wms.services.admin_common import changed_fields

PRINTER_SCHEMES = ("tcp", "cups", "serial", "file", "socket", "rfc2217", "loop")
STATION_FIELDS = frozenset(
    {"name", "label_printer_url", "document_printer_url", "scale_url", "label_dpi", "active"}
)
DPIS = (152, 203, 300, 600)


def printer_view(row: Printer, used_by: list[str]) -> dict[str, Any]:
    return {
        "id": row.id or 0,
        "url": row.url,
        "name": row.name,
        "active": row.active,
        "status": row.status,
        "stations": used_by,
    }


def _printer_url(url: str) -> str:
    url = url.strip()
    scheme, _, rest = url.partition(":")
    if scheme.lower() not in PRINTER_SCHEMES or not rest.strip("/") or len(url) > 300:
        raise WmsError(
            "bad_printer", "Bad printer", f"a printer URL: {', '.join(PRINTER_SCHEMES)}://…"
        )
    return url


def _stations_by_printer(s: Session) -> dict[str, list[str]]:
    used: dict[str, list[str]] = {}
    for st in s.execute(select(PackStation).order_by(PackStation.code)).scalars():
        for url in sorted({st.label_printer_url, st.document_printer_url} - {""}):
            used.setdefault(url, []).append(st.code)
    return used


def _registered(s: Session) -> list[Printer]:
    """Every printer known; the ones only a loaded station named are registered now."""
    rows = {r.url: r for r in s.execute(select(Printer).order_by(Printer.id)).scalars()}
    missing = [url for url in _stations_by_printer(s) if url not in rows]
    for url in missing:
        rows[url] = Printer(url=url, name="")
        s.add(rows[url])
    if missing:
        s.flush()
    return list(rows.values())


@reads
def list_printers(s: Session) -> list[dict[str, Any]]:
    used = _stations_by_printer(s)
    rows = {r.url: r for r in s.execute(select(Printer).order_by(Printer.id)).scalars()}
    views = [printer_view(r, used.get(r.url, [])) for r in rows.values()]
    views += [  # named by a loaded station, not registered yet: known all the same
        printer_view(Printer(url=url, name="", active=True, status="unknown"), codes)
        for url, codes in used.items()
        if url not in rows
    ]
    return views


def create_printer(s: Session, actor: str, url: str, name: str) -> dict[str, Any]:
    url = _printer_url(url)
    if s.execute(select(Printer.id).where(Printer.url == url)).first():
        raise Conflict("printer_exists", "Printer exists", f"printer {url} exists")
    row = Printer(url=url, name=name.strip()[:100])
    s.add(row)
    s.flush()
    audit.record(s, actor, "printer.create", url, f"name={row.name}")
    return printer_view(row, _stations_by_printer(s).get(url, []))


def update_printer(
    s: Session, actor: str, printer_id: int, changes: dict[str, Any]
) -> dict[str, Any]:
    """Rename, disable or enable; a printer an active station prints on stays enabled."""
    row = s.get(Printer, printer_id)
    if row is None:
        raise NotFound("unknown_printer", "Unknown printer", f"no printer {printer_id}")
    used = _stations_by_printer(s).get(row.url, [])
    active_users = [c for c in used if s.get(PackStation, c).active]  # type: ignore[union-attr]
    if changes.get("active") is False and active_users:
        raise Conflict("printer_in_use", "Printer in use", f"stations {active_users} print on it")
    values = {k: v for k, v in changes.items() if k in ("name", "active")}
    changed = changed_fields(row, values)
    s.flush()
    audit.record(s, actor, "printer.update", row.url, "changed=" + ",".join(changed))
    return printer_view(row, used)


def station_view(row: PackStation) -> dict[str, Any]:
    return {
        "code": row.code,
        "name": row.name,
        "label_printer_url": row.label_printer_url,
        "document_printer_url": row.document_printer_url,
        "scale_url": row.scale_url,
        "label_dpi": row.label_dpi,
        "active": row.active,
    }


def _station_values(s: Session, values: dict[str, Any]) -> dict[str, Any]:
    if "label_printer_url" in values and not values["label_printer_url"]:
        raise WmsError("bad_station", "Bad station", "a station needs a label printer")
    if "label_dpi" in values and values["label_dpi"] not in DPIS:
        raise WmsError("bad_station", "Bad station", "label_dpi: 152, 203, 300 or 600")
    wanted = [values.get(k) for k in ("label_printer_url", "document_printer_url")]
    if any(wanted):
        known = {p.url for p in _registered(s) if p.active}
        for key, url in zip(("label_printer_url", "document_printer_url"), wanted, strict=True):
            if url and url not in known:
                raise WmsError("unknown_printer", "Unknown printer", f"{key}: register {url} first")
    return values


@reads
def list_stations(s: Session) -> list[dict[str, Any]]:
    rows = s.execute(select(PackStation).order_by(PackStation.code)).scalars()
    return [station_view(r) for r in rows]


def create_station(s: Session, actor: str, values: dict[str, Any]) -> dict[str, Any]:
    code = str(values.get("code", "")).strip()
    if not code or len(code) > 32:
        raise WmsError("bad_station", "Bad station", "code: 1 to 32 characters")
    if not values.get("label_printer_url"):
        raise WmsError("bad_station", "Bad station", "a station needs a label printer")
    if s.get(PackStation, code) is not None:
        raise Conflict("station_exists", "Station exists", f"station {code!r} exists")
    fields = _station_values(s, {k: v for k, v in values.items() if k in STATION_FIELDS})
    row = PackStation(code=code, **fields)
    s.add(row)
    s.flush()
    audit.record(s, actor, "station.create", code, f"label={row.label_printer_url}")
    return station_view(row)


def update_station(s: Session, actor: str, code: str, changes: dict[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - STATION_FIELDS
    if unknown:
        raise WmsError("bad_station", "Bad station", f"cannot change {sorted(unknown)}")
    row = s.get(PackStation, code)
    if row is None:
        raise NotFound("unknown_station", "Unknown station", f"no station {code!r}")
    changed = changed_fields(row, _station_values(s, changes))
    s.flush()
    audit.record(s, actor, "station.update", code, "changed=" + ",".join(changed))
    return station_view(row)
