"""Channel webhooks: authenticated by each channel's own signature on the raw body."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.params import FromPath

from wms.api.deps import DbDep
from wms.channels.errors import ChannelError
from wms.channels.events import EventKind
from wms.channels.webhooks import parse_webhook, shop_key
from wms.services import channels, intake


class WebhookController(Controller):
    path = "/webhooks"
    tags = ["webhooks"]

    @post("/{channel_code:str}", status_code=200)
    async def receive(
        self, request: Request, db: DbDep, channel_code: FromPath[str]
    ) -> dict[str, Any]:
        body = await request.body()
        _, app = await channels.config_for(db, channel_code)
        shop = shop_key(app.kind, request.headers, body)
        channel_id, config = await channels.config_for_webhook(db, channel_code, shop)
        try:
            event = parse_webhook(config, dict(request.headers), body)
        except ChannelError as exc:
            if exc.http_status == 200:  # a topic we do not handle: say thanks, do nothing
                return {"status": "ignored", "reason": exc.message}
            raise
        if event.kind in (EventKind.PING, EventKind.IGNORED):
            return {"status": "ignored", "topic": event.topic}
        return await intake.handle_event(db, config.code, channel_id, event)
