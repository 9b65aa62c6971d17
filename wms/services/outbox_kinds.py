"""Every module that owns an outbox kind, imported so each registers its handler.

The worker takes its handlers from here (``wms.services.outbox_handlers`` holds them): a
new kind is a handler registered in the module that writes its rows, plus a line here.
"""

from __future__ import annotations

from wms.services import (  # noqa: F401  (imported for their registrations)
    affiliates,
    order_fetch,
    print_dispatch,
    shipping,
    statements,
    stock_pushes,
    tracking,
)
from wms.services.outbox_handlers import BULK_HANDLERS, HANDLERS, BulkDeliver, Deliver


def handlers() -> dict[str, Deliver]:
    """Row-by-row handlers by kind: tracking pushes and events, prints, fetches."""
    return dict(HANDLERS)


def bulk_handlers() -> dict[str, BulkDeliver]:
    """Handlers that take a pass's rows of their kind at once (stock pushes)."""
    return dict(BULK_HANDLERS)
