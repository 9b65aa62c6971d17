"""Admin API: the carriers the running server ships with, and why an account is not used."""

from __future__ import annotations

import msgspec
from litestar import Controller, get

from wms.api.security import requires
from wms.carriers import registry


class CarrierAccountOut(msgspec.Struct):
    code: str
    name: str
    connector: str  # "generic", or the karrio connector (ups, dhl_express, ...)
    configured: bool
    why_not: str  # an unconfigured account: the variables unset (names, never values)
    aliases: list[str]


class CarriersOut(msgspec.Struct):
    """The running configuration: credentials never appear, only where they came from."""

    sender: str
    loaded_from: str  # the site loaded at a time, or the WMS_CARRIERS file
    secrets_file: str  # the path the credentials were read from ("" = environment only)
    accounts: list[CarrierAccountOut]


def carriers_view() -> CarriersOut:
    site = registry.current()
    aliases: dict[str, list[str]] = {}
    for alias, code in sorted(site.aliases.items()):
        aliases.setdefault(code, []).append(alias)
    generic = site.generic
    own = aliases.get(generic.code, [])
    accounts = [CarrierAccountOut(generic.code, generic.name, "generic", True, "", own)]
    for code, adapter in sorted(site.adapters.items()):
        connector = str(getattr(adapter, "carrier_name", code))
        name = str(getattr(adapter, "name", "") or code)
        accounts.append(CarrierAccountOut(code, name, connector, True, "", aliases.get(code, [])))
    for code, why in sorted(site.skipped.items()):
        accounts.append(CarrierAccountOut(code, code, "", False, why, []))
    return CarriersOut(site.sender.name, site.loaded_from, site.secrets_file, accounts)


class AdminCarrierController(Controller):
    path = "/api/v1/admin/carriers"
    guards = [requires("admin")]
    tags = ["admin"]

    @get("/")
    async def running(self) -> CarriersOut:
        """What the next label uses: rebuilt within a second of `wms load` changing it."""
        return carriers_view()
