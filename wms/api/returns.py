"""Returns API: open (by hand or from the channel), receive by scan, grade each item."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody

from wms.api.answers import answer
from wms.api.answers.returns import ReturnView
from wms.api.deps import DbDep, UserDep
from wms.api.security import INTEGRATION, require_channel, requires
from wms.services import channel_returns, returns

RawScan = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Reason = Annotated[str, msgspec.Meta(max_length=200)]
IDEMPOTENT = {"idempotent": True}


class Line(msgspec.Struct, forbid_unknown_fields=True):
    sku: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    qty: Annotated[int, msgspec.Meta(ge=1, le=10_000)]


class OpenReturn(msgspec.Struct, forbid_unknown_fields=True):
    order: RawScan  # order number, reference, channel id or tote
    lines: Annotated[list[Line], msgspec.Meta(max_length=500)] | None = None  # None: all
    reason: Reason = ""


class ChannelReturn(msgspec.Struct, forbid_unknown_fields=True):
    channel: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    order_external_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    return_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    lines: Annotated[list[Line], msgspec.Meta(max_length=500)] | None = None
    reason: Reason = ""


class Receive(msgspec.Struct, forbid_unknown_fields=True):
    scan: RawScan


class Grade(msgspec.Struct, forbid_unknown_fields=True):
    scan: RawScan
    grade: Literal["restock", "quarantine", "scrap"]
    qty: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 1
    location: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None


def _wanted(lines: list[Line] | None) -> list[tuple[str, int]] | None:
    return None if lines is None else [(x.sku, x.qty) for x in lines]


class ReturnController(Controller):
    path = "/api/v1/returns"
    guards = [requires("packer", "supervisor")]
    tags = ["returns"]

    @post("/", status_code=201, opt=IDEMPOTENT)
    async def open_return(self, data: JSONBody[OpenReturn], db: DbDep) -> ReturnView:
        view = await returns.open_manual(db, data.order, _wanted(data.lines), data.reason)
        return answer(ReturnView, view)

    @post("/receive", status_code=200, opt=IDEMPOTENT)
    async def receive(self, data: JSONBody[Receive], db: DbDep) -> ReturnView:
        return answer(ReturnView, await returns.receive_scan(db, data.scan))

    @post("/{return_id:int}/grade", status_code=200, opt=IDEMPOTENT)
    async def grade(
        self, return_id: FromPath[int], data: JSONBody[Grade], db: DbDep, user: UserDep
    ) -> ReturnView:
        view = await returns.grade_item(
            db, return_id, data.scan, data.grade, data.qty, data.location, user.user_id
        )
        return answer(ReturnView, view)

    @get("/{return_id:int}")
    async def get_return(self, return_id: FromPath[int], db: DbDep) -> ReturnView:
        return answer(ReturnView, await returns.get_return(db, return_id))


class ChannelReturnController(Controller):
    path = "/api/v1/returns/channel"
    guards = [requires(*INTEGRATION)]
    tags = ["returns"]

    @post(
        "/",
        opt=IDEMPOTENT,
        responses={200: ResponseSpec(ReturnView, description="Opened before: the same return")},
    )
    async def channel_return(
        self, data: JSONBody[ChannelReturn], db: DbDep, user: UserDep
    ) -> Response[ReturnView]:
        """The channel's return event (the webhook path calls the same service)."""
        require_channel(user, data.channel)
        view, created = await channel_returns.open_channel(
            db, data.channel, data.order_external_id, data.return_id, _wanted(data.lines),
            data.reason,
        )  # fmt: skip
        return Response(answer(ReturnView, view), status_code=201 if created else 200)


ROUTES: list[Any] = [ReturnController, ChannelReturnController]
