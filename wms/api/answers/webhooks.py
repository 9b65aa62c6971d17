"""What a channel's webhook is answered: its status, and what it named (only what applies)."""

from __future__ import annotations

import msgspec


class WebhookAnswer(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """`status`: created, duplicate, accepted (fetched later), cancelled, recorded, ignored."""

    status: str
    order_id: int | None = None
    order_status: str | None = None
    order_external_id: str | None = None
    return_id: int | None = None
    kind: str | None = None
    topic: str | None = None
    reason: str | None = None
