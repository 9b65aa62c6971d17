"""Channel webhooks: authenticated by each channel's own signature on the raw body."""

from __future__ import annotations

import dataclasses
import logging

from litestar import Controller, Request, post
from litestar.params import FromPath

from wms.api.answers import answer
from wms.api.answers.webhooks import WebhookAnswer
from wms.api.deps import DbDep
from wms.channels.config import ChannelConfig
from wms.channels.errors import BadSignature, ChannelError, MissingSignature
from wms.channels.events import EventKind, WebhookEvent
from wms.channels.webhooks import parse_webhook, shop_key
from wms.db import Database
from wms.services import channels, intake

log = logging.getLogger("wms.security")


class WebhookController(Controller):
    path = "/webhooks"
    tags = ["webhooks"]

    @post("/{channel_code:str}", status_code=200)
    async def receive(
        self, request: Request, db: DbDep, channel_code: FromPath[str]
    ) -> WebhookAnswer:
        body = await request.body()
        _, app = await channels.config_for(db, channel_code)
        shop = shop_key(app.kind, request.headers, body)
        channel_id, config = await channels.config_for_webhook(db, channel_code, shop)
        try:
            event = await _verified(db, channel_id, config, dict(request.headers), body)
        except ChannelError as exc:
            if exc.http_status == 200:  # a topic we do not handle: say thanks, do nothing
                return WebhookAnswer(status="ignored", reason=exc.message)
            if exc.http_status == 401:
                log.warning("webhook refused for channel %s: %s", channel_code, exc.code)
            raise
        if event.kind in (EventKind.PING, EventKind.IGNORED):
            return WebhookAnswer(status="ignored", topic=event.topic)
        return answer(WebhookAnswer, await intake.handle_event(db, config.code, channel_id, event))


async def _verified(
    db: Database, channel_id: int, config: ChannelConfig, headers: dict[str, str], body: bytes
) -> WebhookEvent:
    """Parse with the channel's secret, or with the one it replaced while that is still valid."""
    try:
        return parse_webhook(config, headers, body)
    except MissingSignature:
        raise
    except BadSignature:
        old = await channels.previous_secret(db, channel_id)
        if not old:
            raise
        return parse_webhook(dataclasses.replace(config, secret=old), headers, body)
