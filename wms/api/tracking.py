"""Tracking after the handover: carrier webhooks, a poll pass, a parcel's story, buyer's page."""

from __future__ import annotations

import html
from typing import Any

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.params import FromPath, FromQuery

from wms.api.answers import answer
from wms.api.answers.tracking import ParcelTracking, PollPass, Recorded
from wms.api.deps import DbDep
from wms.api.security import requires
from wms.carriers import registry
from wms.services import tracking, tracking_poll, tracking_webhook


class TrackingWebhookController(Controller):
    path = "/webhooks/tracking"
    tags = ["webhooks"]

    @post("/{carrier:str}", status_code=200)
    async def receive(self, request: Request, db: DbDep, carrier: FromPath[str]) -> Recorded:
        """A carrier account's signed ``tracker_updated`` (see wms.services.tracking_webhook)."""
        body = await request.body()
        signature = request.headers.get("x-wms-signature", "")
        return answer(
            Recorded, await tracking_webhook.receive_webhook(db, carrier, body, signature)
        )


class TrackingController(Controller):
    path = "/api/v1"
    tags = ["tracking"]

    @post("/tracking/poll", status_code=200, guards=[requires("supervisor")])
    async def poll(self, db: DbDep) -> PollPass:
        """Ask the carriers about every parcel due now (the server also does it on a timer)."""
        return answer(PollPass, await tracking_poll.poll_pass(db))

    @get("/parcels/{parcel_id:int}/tracking", guards=[requires("packer", "supervisor")])
    async def parcel(self, parcel_id: FromPath[int], db: DbDep) -> ParcelTracking:
        return answer(ParcelTracking, await db.run(tracking.parcel_tracking, parcel_id))


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Track {number}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:sans-serif;max-width:36em;margin:2em auto;padding:0 1em}}
li{{margin:.4em 0}} .status{{font-size:1.4em;font-weight:bold}}</style></head>
<body><h1>{merchant}</h1><p>Parcel <b>{number}</b></p>{content}</body></html>"""

_FORM = """<form method="get"><p>{note}</p>
<label>Destination postal code <input name="postal_code" autocomplete="postal-code"
required maxlength="20"></label> <button>Show</button></form>"""


@get("/track/{number:str}", include_in_schema=False)
async def track_page(
    db: DbDep, number: FromPath[str], postal_code: FromQuery[str] = ""
) -> Response[str]:
    """The buyer's page: nothing is shown before the destination postal code matches."""
    merchant = html.escape(registry.sender().name)
    found = None
    if postal_code:
        found = await db.run(tracking.public_view, number, postal_code[:20])
    if found is None:
        # An unknown number and a wrong postal code look the same: nothing to probe with.
        note = (
            "No parcel matches this number and postal code." if postal_code
            else "Enter the postal code the parcel is going to."
        )  # fmt: skip
        page = _PAGE.format(number=html.escape(number), merchant=merchant,
                            content=_FORM.format(note=note))  # fmt: skip
        return Response(page, media_type=MediaType.HTML, status_code=404 if postal_code else 200)
    items = "".join(
        f"<li>{html.escape(e['at'][:16].replace('T', ' '))} UTC: "
        f"{html.escape(e['description'] or e['status'].replace('_', ' '))}"
        f"{' — ' + html.escape(e['location']) if e['location'] else ''}</li>"
        for e in reversed(found["events"])
    )
    eta = found["estimated_delivery"]
    content = (
        f"<p class='status'>{html.escape(found['status'].replace('_', ' ').capitalize())}</p>"
        + (f"<p>Expected {html.escape(eta[:10])}</p>" if eta and not found["delivered_at"] else "")
        + f"<ol>{items}</ol>"
    )
    page = _PAGE.format(number=html.escape(found["tracking"]), merchant=merchant, content=content)
    return Response(page, media_type=MediaType.HTML)


ROUTES: list[Any] = [TrackingWebhookController, TrackingController, track_page]
