"""Carrier adapters by code, registered from the site's configuration (its carriers.json).

The file (``WMS_CARRIERS``, or ``carriers.json`` in the site folder) names the sender
printed on labels and slips, the generic carrier (the site's own name and tracking prefix)
and the carrier accounts, e.g. UPS through karrio. Credentials never sit in the file: it
names the variables that hold them, read from the environment or from the site's secrets
file (``secrets_file``, outside the repository; the environment wins, see
`wms.carriers.secrets_file`). An account whose variables are unset is not configured — its
orders then ship with the generic carrier under the generic carrier's own name and
numbers, never a made-up number in the other carrier's format.

One site per server process (ARCHITECTURE §8): the registry is module state, replaced as a
whole when the server starts and whenever the site's carriers change (``configure``, from
`wms.services.site_carriers`).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from printers import Address
from wms.carriers import secrets_file
from wms.carriers.base import CarrierAdapter
from wms.carriers.generic import GenericCarrier

log = logging.getLogger(__name__)

DEFAULT_SENDER = Address(
    "Demo Warehouse", ("1 Dock Road",), "10001", "New York", "US", "+1 555 0100", region="NY"
)


class CarrierConfigError(ValueError):
    """The site's carrier configuration cannot be used; the message names the entry."""


@dataclass
class SiteCarriers:
    """What the configuration file says: sender, generic carrier, accounts, aliases."""

    sender: Address = DEFAULT_SENDER
    # Unless the site names it otherwise, its own deliveries go under its own name.
    generic: GenericCarrier = field(
        default_factory=lambda: GenericCarrier(name=DEFAULT_SENDER.name)
    )
    adapters: dict[str, CarrierAdapter] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # lower-case name -> code
    skipped: dict[str, str] = field(default_factory=dict)  # code -> why not configured
    webhook_secrets: dict[str, str] = field(default_factory=dict)  # code -> tracking webhook
    poll_every: dict[str, timedelta] = field(default_factory=dict)  # code -> tracking poll
    poll_seconds: float = 60.0  # how often the server's poller looks for parcels due
    # A parcel without news this long after its last event (or handover) is late.
    silence: timedelta = timedelta(hours=48)
    secrets_file: str = ""  # the file the credentials came from (its path, never its values)
    loaded_from: str = ""  # what it was built from: the site loaded at a time, or a file

    def tracker_for(self, code: str) -> CarrierAdapter | None:
        """The adapter that tracks parcels booked under ``code``; None if it is gone."""
        return self.generic if code == self.generic.code else self.adapters.get(code)


_SITE = SiteCarriers()


def configure(site: SiteCarriers) -> None:
    """Route orders by this configuration from now on (at server start)."""
    global _SITE
    _SITE = site


def current() -> SiteCarriers:
    return _SITE


def sender() -> Address:
    """The site's sender address, printed on every label and slip."""
    return _SITE.sender


def generic() -> GenericCarrier:
    return _SITE.generic


def register(adapter: CarrierAdapter, *aliases: str) -> None:
    """Add one carrier account to the running configuration (tests, tools)."""
    _SITE.adapters[adapter.code.lower()] = adapter
    for alias in aliases:
        _SITE.aliases[alias.lower()] = adapter.code.lower()


def unregister(code: str) -> None:
    _SITE.adapters.pop(code.lower(), None)
    for alias in [a for a, c in _SITE.aliases.items() if c == code.lower()]:
        del _SITE.aliases[alias]


def adapter_for(carrier: str) -> CarrierAdapter:
    """The configured adapter for an order's carrier (by code or alias); else the generic one."""
    key = (carrier or "").strip().lower()
    if not key:
        return _SITE.generic
    key = _SITE.aliases.get(key, key)
    if key == _SITE.generic.code:
        return _SITE.generic
    return _SITE.adapters.get(key, _SITE.generic)


# -- the configuration file ---------------------------------------------------------------------


def config_path(site_dir: Path, env: Mapping[str, str] | None = None) -> Path | None:
    """``WMS_CARRIERS`` when set, else the site folder's carriers.json when it has one."""
    env = os.environ if env is None else env
    if env.get("WMS_CARRIERS"):
        return Path(env["WMS_CARRIERS"])
    path = site_dir / "carriers.json"
    return path if path.exists() else None


def load(path: Path | None, env: Mapping[str, str] | None = None) -> SiteCarriers:
    """The site's carriers from its file; the built-in defaults when there is none."""
    if path is None:
        return SiteCarriers()
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise CarrierConfigError(f"{path}: {exc}") from exc
    site = build(raw, os.environ if env is None else env, path.parent, str(path))
    site.loaded_from = f"file {path}"
    return site


def build(raw: Any, env: Mapping[str, str], base: Path | None, where: str) -> SiteCarriers:
    """`parse`, with the credentials from the site's secrets file under the environment."""
    path = secrets_file.named(raw, base)
    values = dict(env)
    if path is not None:
        try:
            values = secrets_file.environment(raw, env, base)
        except secrets_file.SecretsFileError as exc:
            # The server keeps running on what it has; `wms site check` names the problem.
            log.warning("%s: %s: its accounts are not configured", where, exc)
    site = parse(raw, values, where)
    site.secrets_file = str(path or "")
    return site


def parse(raw: Any, env: Mapping[str, str], where: str = "carriers") -> SiteCarriers:
    if not isinstance(raw, dict):
        raise CarrierConfigError(f"{where}: expected a JSON object")
    site = SiteCarriers()
    named = raw.get(secrets_file.KEY, "")
    if not isinstance(named, str):
        raise CarrierConfigError(f"{where}: {secrets_file.KEY} is a path (outside the repository)")
    if "sender" in raw:
        site.sender = _sender(raw["sender"], f"{where}: sender")
    site.generic = _generic(raw.get("generic", {}), site.sender.name, f"{where}: generic")
    seconds = raw.get("tracking_poll_seconds", site.poll_seconds)
    if not isinstance(seconds, int | float) or seconds <= 0:
        raise CarrierConfigError(f"{where}: tracking_poll_seconds must be a positive number")
    site.poll_seconds = float(seconds)
    hours = raw.get("tracking_silence_hours", 48)
    if not isinstance(hours, int | float) or hours <= 0:
        raise CarrierConfigError(f"{where}: tracking_silence_hours must be a positive number")
    site.silence = timedelta(hours=hours)
    for n, entry in enumerate(raw.get("carriers", [])):
        here = f"{where}: carriers[{n}]"
        if not isinstance(entry, dict) or not entry.get("code"):
            raise CarrierConfigError(f"{here}: needs a code")
        code = str(entry["code"]).lower()
        if code == site.generic.code or code in site.adapters or code in site.skipped:
            raise CarrierConfigError(f"{here}: duplicate carrier code {code!r}")
        adapter, why = _account(entry, env, here)
        if adapter is None:
            site.skipped[code] = why
            log.warning("carrier %s not configured (%s): the generic carrier ships it", code, why)
        else:
            site.adapters[code] = adapter
            for alias in entry.get("aliases", []):
                site.aliases[str(alias).lower()] = code
            _tracking(site, code, entry, env, here)
    for alias in raw.get("generic", {}).get("aliases", []) if "generic" in raw else []:
        site.aliases[str(alias).lower()] = site.generic.code
    _tracking(site, site.generic.code, raw.get("generic", {}), env, f"{where}: generic")
    return site


def _tracking(
    site: SiteCarriers, code: str, entry: dict[str, Any], env: Mapping[str, str], where: str
) -> None:
    """The account's tracking webhook secret (from the environment) and poll interval."""
    name = entry.get("webhook_secret_env")
    if name and env.get(str(name)):
        site.webhook_secrets[code] = env[str(name)]
    elif name:
        log.warning("%s: %s unset, no tracking webhook for %s", where, name, code)
    if "poll_minutes" in entry:
        minutes = entry["poll_minutes"]
        if not isinstance(minutes, int | float) or minutes <= 0:
            raise CarrierConfigError(f"{where}: poll_minutes must be a positive number")
        site.poll_every[code] = timedelta(minutes=minutes)


def _sender(raw: Any, where: str) -> Address:
    if not isinstance(raw, dict):
        raise CarrierConfigError(f"{where}: expected an object")
    missing = [k for k in ("name", "postal_code", "city", "country") if not raw.get(k)]
    if missing:
        raise CarrierConfigError(f"{where}: missing {', '.join(missing)}")
    return Address(
        str(raw["name"]), tuple(str(x) for x in raw.get("lines", [])), str(raw["postal_code"]),
        str(raw["city"]), str(raw["country"]).upper(), str(raw.get("phone", "")),
        region=str(raw.get("region", "")),
    )  # fmt: skip


def _generic(raw: Any, site_name: str, where: str) -> GenericCarrier:
    if not isinstance(raw, dict):
        raise CarrierConfigError(f"{where}: expected an object")
    values: dict[str, Any] = {"name": site_name}
    for key, attr in (("name", "name"), ("prefix", "prefix"), ("gs1_prefix", "gs1_prefix"),
                      ("tracking_url", "tracking_url_format")):  # fmt: skip
        if key in raw:
            values[attr] = str(raw[key])
    if "channel_ids" in raw:
        values["channel_ids"] = {str(k): str(v) for k, v in raw["channel_ids"].items()}
    if raw.get("simulate_minutes") is not None:
        minutes = raw["simulate_minutes"]
        if not isinstance(minutes, int | float) or minutes < 0:
            raise CarrierConfigError(f"{where}: simulate_minutes must be a number >= 0")
        values["simulate_minutes"] = float(minutes)
    if "rates" in raw:  # [[max_grams, "price"], ...], lightest band first
        try:
            values["rates"] = tuple(sorted((int(g), Decimal(str(p))) for g, p in raw["rates"]))
        except (TypeError, ValueError, ArithmeticError):
            raise CarrierConfigError(f"{where}: rates are [[max_grams, price], ...]") from None
        if any(p < 0 for _, p in values["rates"]):
            raise CarrierConfigError(f"{where}: a rate below zero")
    try:
        return GenericCarrier(**values)
    except ValueError as exc:
        raise CarrierConfigError(f"{where}: {exc}") from exc


def _account(entry: dict[str, Any], env: Mapping[str, str], where: str) -> tuple[Any, str]:
    """A karrio carrier account, or (None, why) when its credentials are not in the env."""
    connector = entry.get("karrio")
    if not connector:
        raise CarrierConfigError(f"{where}: needs 'karrio' (the karrio connector, e.g. ups)")
    names = entry.get("credentials_env", {})
    if not isinstance(names, dict):
        raise CarrierConfigError(f"{where}: credentials_env maps settings to variable names")
    unset = sorted(v for v in names.values() if not env.get(v))
    if unset:
        return None, f"{', '.join(unset)} unset"
    if importlib.util.find_spec(f"karrio.mappers.{connector}") is None:
        raise CarrierConfigError(f"{where}: karrio connector {connector!r} is not installed")
    from wms.carriers.karrio_adapter import KarrioCarrier

    settings = {**entry.get("settings", {}), **{k: env[v] for k, v in names.items()}}
    return KarrioCarrier(
        code=str(entry["code"]).lower(),
        carrier_name=str(connector),
        settings=settings,
        service=str(entry.get("service", "")),
        services={str(k).lower(): str(v) for k, v in entry.get("services", {}).items()},
        channel_ids={str(k): str(v) for k, v in entry.get("channel_ids", {}).items()},
        name=str(entry.get("name", connector)).strip() or str(connector),
    ), ""
