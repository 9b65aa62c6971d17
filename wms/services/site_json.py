"""The site's JSON files: layout, cartons, users, stations, channels (secrets), carriers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from wms.carriers import registry, secrets_file
from wms.channels.config import ChannelConfig
from wms.channels.errors import ConfigError
from wms.domain.layout import KINDS, Layout
from wms.secret_box import SecretKeyError, keyring
from wms.services.auth import ROLES
from wms.services.site_reading import (
    SECRET_KEYS,
    Fields,
    JsonDoc,
    Report,
    Site,
    json_items,
    read_json,
)


def read_layout(r: Report, site: Site) -> None:
    doc = read_json(r, site, "layout.json")
    if doc is None:
        return
    data = doc.data
    if not isinstance(data, dict):
        r.add(*doc.at(()), "expected an object with pick_area and zones")
        return
    before = len(r.problems)
    pa = data.get("pick_area")
    if not isinstance(pa, dict):
        r.add(*doc.at(("pick_area",)), "missing required field 'pick_area' (an object)")
        return
    f = Fields(r, doc, ("pick_area",), pa)
    aisles = f.integer("aisles", minimum=1)
    f.number("first_aisle_x")
    for key in ("aisle_spacing", "cross_aisle_width", "bay_width"):
        f.number(key, positive=True)
    blocks = pa.get("blocks")
    if not isinstance(blocks, list) or not blocks:
        r.add(*doc.at(("pick_area", "blocks")), "blocks: expected a list of at least one block")
    else:
        for i, b in enumerate(blocks):
            if isinstance(b, dict):
                Fields(r, doc, ("pick_area", "blocks", i), b).integer("bays_per_side", minimum=1)
            else:
                r.add(*doc.at(("pick_area", "blocks", i)), 'expected {"bays_per_side": N}')
    for key, need in (("pick_levels", True), ("reserve_levels", False)):
        levels = pa.get(key, None if need else [])
        if (
            not isinstance(levels, list)
            or (need and not levels)
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in levels)
        ):
            r.add(*doc.at(("pick_area", key)), f"{key}: expected a list of level numbers ≥ 1")
    zones = data.get("zones")
    covered: dict[int, str] = {}
    if not isinstance(zones, list) or not zones:
        r.add(*doc.at(("zones",)), "zones: expected a list of at least one zone")
    else:
        for i, z in enumerate(zones):
            if not isinstance(z, dict):
                r.add(*doc.at(("zones", i)), "expected a zone object")
                continue
            zf = Fields(r, doc, ("zones", i), z)
            code = zf.text("code")
            first, last = zf.integer("first_aisle", minimum=1), zf.integer("last_aisle", minimum=1)
            for a in range(first, last + 1):
                if a in covered:
                    r.add(*doc.at(("zones", i)), f"aisle {a} is in zones {covered[a]} and {code}")
                covered[a] = code
        missing = [a for a in range(1, aisles + 1) if a not in covered]
        if missing and len(r.problems) == before:
            r.add(*doc.at(("zones",)), f"aisles in no zone: {missing}")
    if isinstance(data.get("depot"), dict):
        Fields(r, doc, ("depot",), data["depot"]).number("x", 0.0)
    areas = data.get("areas", [])
    if not isinstance(areas, list):
        r.add(*doc.at(("areas",)), "areas: expected a list")
        areas = []
    for i, a in enumerate(areas):
        if not isinstance(a, dict):
            r.add(*doc.at(("areas", i)), "expected an area object")
            continue
        af = Fields(r, doc, ("areas", i), a)
        kind = af.text("kind")
        if kind and kind not in KINDS:
            af._bad("kind", f"unknown kind {kind!r}: one of {', '.join(KINDS)}")
        af.text("prefix")
        af.text("zone", "")
        a.setdefault("zone", "")
        af.integer("count", minimum=1)
        for key in ("x", "y"):
            af.number(key)
        for key in ("dx", "dy"):
            af.number(key, 0.0)
    if len(r.problems) != before:
        return
    try:
        locations = Layout(data).locations()
    except (ValueError, KeyError, TypeError) as exc:
        r.add("layout.json", 1, 1, f"layout cannot be built: {exc}")
        return
    site.layout_data, site.locations = data, locations


def read_cartons(r: Report, site: Site) -> None:
    doc = read_json(r, site, "cartons.json")
    if doc is None:
        return
    seen: set[str] = set()
    for path, item in json_items(r, doc, "cartons"):
        f = Fields(r, doc, path, item)
        carton = {
            "code": f.text("code"),
            "name": f.text("name", ""),
            "length_mm": f.integer("length_mm", minimum=1),
            "width_mm": f.integer("width_mm", minimum=1),
            "height_mm": f.integer("height_mm", minimum=1),
            "max_weight_g": f.integer("max_weight_g", minimum=1),
            "tare_g": f.integer("tare_g", 0),
            "cost": f.money("cost"),
        }
        carton["name"] = carton["name"] or carton["code"]
        if carton["code"] in seen:
            f._bad("code", f"duplicate carton code {carton['code']!r}")
            continue
        seen.add(carton["code"])
        site.cartons.append(carton)


def read_users(r: Report, site: Site) -> None:
    doc = read_json(r, site, "users.json")
    if doc is None:
        return
    names: set[str] = set()
    badges: set[str] = set()
    for path, item in json_items(r, doc, "users"):
        f = Fields(r, doc, path, item)
        user = {
            "username": f.text("username"),
            "name": f.text("name", ""),
            "role": f.text("role"),
            "badge": f.text("badge", "") or None,
            "pin": f.text("pin", ""),
            "token": f.text("token", ""),
            "active": f.flag("active", True),
            "channels": _channel_list(f, item),
        }
        if user["role"] and user["role"] not in ROLES:
            f._bad("role", f"unknown role {user['role']!r}: one of {', '.join(ROLES)}")
        if user["pin"] and not user["pin"].isdigit():
            f._bad("pin", "a PIN is digits only")
        if user["badge"] and not user["pin"]:
            f._bad("badge", "a badge needs a pin to log in with")
        if user["username"] in names:
            f._bad("username", f"duplicate username {user['username']!r}")
            continue
        if user["badge"] in badges:
            f._bad("badge", f"duplicate badge {user['badge']!r}")
            continue
        names.add(user["username"])
        if user["badge"]:
            badges.add(user["badge"])
        site.users.append(user)


def _channel_list(f: Fields, item: dict[str, Any]) -> list[str]:
    """The channels an integration user acts on (none: every channel it is let at)."""
    raw = item.get("channels", [])
    if not isinstance(raw, list) or not all(isinstance(c, str) and c for c in raw):
        f._bad("channels", "channels is a list of channel codes")
        return []
    return list(raw)


def read_carriers(r: Report, site: Site) -> None:
    """The sender and carrier accounts, checked as the server will read them. Credentials
    are names of variables: an unset one is the server's warning, not a problem of the
    file, unless the site names a secrets file, which then must exist and hold each one
    the environment does not set."""
    doc = read_json(r, site, "carriers.json")
    if doc is None:
        return
    try:
        registry.parse(doc.data, {}, "carriers.json")
    except registry.CarrierConfigError as exc:
        r.add("carriers.json", 0, 0, str(exc).removeprefix("carriers.json: "))
        return
    site.carriers = doc.data
    path = secrets_file.named(doc.data, site.folder)
    if path is None:
        return
    # Stored resolved: the server reads it from wherever it runs.
    site.carriers = {**doc.data, secrets_file.KEY: str(path)}
    where = doc.at((secrets_file.KEY,))
    repo = secrets_file.in_repository(path)
    if repo is not None:
        r.add(*where, f"secrets_file {path} is inside the repository {repo}: keep it outside")
    try:
        values = secrets_file.read(path)
    except secrets_file.SecretsFileError as exc:
        r.add(*where, f"secrets_file: {exc}")
        return
    for used_by, name in secrets_file.wanted(doc.data):
        if name not in values and not os.environ.get(name):
            r.add(str(path), 0, 0, f"{name} is missing ({used_by}) and not in the environment")


def read_stations(r: Report, site: Site) -> None:
    doc = read_json(r, site, "stations.json")
    if doc is None:
        return
    seen: set[str] = set()
    for path, item in json_items(r, doc, "stations"):
        f = Fields(r, doc, path, item)
        station = {
            "code": f.text("code"),
            "name": f.text("name", ""),
            "label_printer_url": f.text("label_printer_url"),
            "document_printer_url": f.text("document_printer_url", ""),
            "scale_url": f.text("scale_url", ""),
            "label_dpi": f.integer("label_dpi", 203, minimum=100),
            "active": f.flag("active", True),
        }
        if station["code"] in seen:
            f._bad("code", f"duplicate station code {station['code']!r}")
            continue
        seen.add(station["code"])
        site.stations.append(station)


def _resolve_secrets(
    r: Report, doc: JsonDoc, folder: Path, path: tuple[Any, ...], item: dict[str, Any]
) -> dict[str, Any] | None:
    """``"env:NAME"`` reads an environment variable, ``"file:PATH"`` a file (relative to the
    site folder): secrets stay out of the site's files and out of the repository."""
    out = dict(item)
    ok = True
    for key in SECRET_KEYS:
        value = item.get(key)
        if not isinstance(value, str):
            continue
        if value.startswith("env:"):
            name = value[4:]
            if name not in os.environ:
                r.add(*doc.at((*path, key)), f"{key}: environment variable {name} is not set")
                ok = False
            else:
                out[key] = os.environ[name]
        elif value.startswith("file:"):
            secret_path = folder / value[5:]
            try:
                out[key] = secret_path.read_text(encoding="utf-8").strip()
            except OSError as exc:
                r.add(*doc.at((*path, key)), f"{key}: cannot read {secret_path}: {exc.strerror}")
                ok = False
    return out if ok else None


def read_channels(r: Report, site: Site) -> None:
    doc = read_json(r, site, "channels.json")
    if doc is None:
        return
    seen: set[str] = set()
    for path, item in json_items(r, doc, "channels"):
        item = _resolve_secrets(r, doc, site.folder, path, item)
        if item is None:
            continue
        try:
            config = ChannelConfig.from_dict(item)
        except ConfigError as exc:
            r.add(*doc.at(path), str(exc))
            continue
        if config.code in seen:
            r.add(*doc.at((*path, "code")), f"duplicate channel code {config.code!r}")
            continue
        seen.add(config.code)
        site.channels.append(config)
    _key_for(r, doc, site)


def _key_for(r: Report, doc: JsonDoc, site: Site) -> None:
    """Channel secrets are stored sealed: loading them needs the operator's key."""
    if not any(c.secret or c.access_token or c.shop_cipher for c in site.channels):
        return
    try:
        missing = "" if keyring.has_key() else "set WMS_SECRET_KEY or WMS_SECRET_KEY_FILE"
    except SecretKeyError as exc:
        missing = str(exc)
    if missing:
        r.add(*doc.at(("channels",)), f"channel secrets are stored encrypted: {missing}")
