"""Hand parcels to a carrier: the first parcel scanned opens a manifest for its carrier, each
parcel scanned goes onto it (its order ships with its last parcel), Enter closes it.

The calls are direct (the screen shows the manifest the server keeps); each keeps its
Idempotency-Key until answered, so a retry after a lost answer hands a parcel over once.
"""

from __future__ import annotations

from typing import Any

from textual import work
from textual.widgets import Digits

from terminal.client import ApiError, Offline, new_key
from terminal.screens.stockflow import StockFlowScreen

PARCEL_KINDS = ("shipment", "sscc")


class HandoverScreen(StockFlowScreen):
    """first parcel → (manifest opened for its carrier) → parcels … → Enter → close."""

    SHOWS_DIGITS = True
    HELP = "Scan each parcel's label (tracking or SSCC); Enter alone closes the manifest."

    def __init__(self) -> None:
        super().__init__()
        self.step = "first"
        self.manifest: dict[str, Any] | None = None
        self.last = ""
        self.key = ("", "")

    def key_for(self, what: str) -> str:
        if self.key[0] != what:
            self.key = (what, new_key())
        return self.key[1]

    def render_step(self) -> None:
        count = str(self.manifest["count"]) if self.manifest else ""
        self.query_one("#digits", Digits).update(count if self.step != "first" else "")
        if self.step == "first":
            self.say("Hand over", "SCAN A PARCEL", "its carrier's manifest opens")
        elif self.step == "parcels":
            assert self.manifest is not None
            self.say(
                f"Manifest {self.manifest['id']} {self.manifest['carrier']}",
                "SCAN PARCEL",
                f"{self.last}\nEnter: close manifest".lstrip("\n"),
            )
        elif self.step == "close":
            self.say("Close manifest?", "ENTER = CLOSE", "F4: scan more")
        elif self.step == "closed":
            self.say("Manifest closed", "HANDED OVER", "Enter: next carrier")

    async def handle_scan(self, code: str) -> None:
        if self.step == "first" and code:
            self.open_for(code)
        elif self.step == "parcels":
            if code:
                self.hand_over(code)
            else:
                self.step = "close"
                self.render_step()
        elif self.step == "close" and not code:
            self.close()
        elif self.step == "closed":
            self.step, self.manifest, self.last = "first", None, ""
            self.render_step()

    async def call(self, what: str, path: str, body: dict[str, Any]) -> Any:
        """POST with a key kept for `what` until answered; None after showing why not."""
        try:
            answer = await self.terminal.client.post(path, body, self.key_for(what))
        except Offline:
            self.terminal.note_offline(True)
            self.problem("Server unreachable", "", "Scan again when online")
            return None
        except ApiError as err:
            self.key = ("", "")
            self.api_problem(err)
            return None
        self.key = ("", "")
        return answer

    @work(exclusive=True, group="handover")
    async def open_for(self, code: str) -> None:
        try:
            found = await self.terminal.client.scan(code)
            if found.get("kind") not in PARCEL_KINDS:
                self.problem("Not a parcel", "", f"that is a {found.get('kind')}")
                return
            parcel = await self.terminal.client.get(f"/parcels/{found['parcel_id']}")
        except Offline:
            self.terminal.note_offline(True)
            self.problem("Server unreachable", "", "Handover needs the server")
            return
        except ApiError as err:
            self.api_problem(err)
            return
        carrier = str(parcel.get("carrier") or "generic")
        manifest = await self.call(f"open {code}", "/manifests", {"carrier": carrier})
        if manifest is None:
            return
        self.manifest = manifest
        self.step = "parcels"
        await self.scan_onto(code)

    @work(exclusive=True, group="handover")
    async def hand_over(self, code: str) -> None:
        await self.scan_onto(code)

    async def scan_onto(self, code: str) -> None:
        assert self.manifest is not None
        answer = await self.call(
            f"scan {code}", f"/manifests/{self.manifest['id']}/scan", {"scan": code}
        )
        if answer is not None:
            self.manifest = answer["manifest"]
            parcel = answer.get("parcel") or {}
            self.last = f"{parcel.get('tracking') or code} {answer.get('order_status') or ''}"
        self.render_step()

    @work(exclusive=True, group="handover")
    async def close(self) -> None:
        assert self.manifest is not None
        answer = await self.call(
            f"close {self.manifest['id']}", f"/manifests/{self.manifest['id']}/close", {}
        )
        if answer is None:
            return
        self.manifest, self.step = answer, "closed"
        self.render_step()

    def action_back(self) -> None:
        if self.step == "close":
            self.step = "parcels"
            self.render_step()
        else:  # an open manifest stays open on the server
            self.dismiss(None)
