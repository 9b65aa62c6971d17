"""The Litestar application: routes, error mapping, auth, and the background workers."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator

from litestar import Litestar, get
from litestar.di import Provide
from litestar.middleware.base import DefineMiddleware

from wms.api import (
    idempotency,
    margin_reports,
    openapi,
    packing,
    picking,
    problems,
    reports,
    returns,
    scan,
    shipping,
    waves,
)
from wms.api import tracking as tracking_api
from wms.api.admin import AdminChannelController
from wms.api.admin_site import CONTROLLERS as ADMIN_SITE_ROUTES
from wms.api.auth import AuditController, AuthController
from wms.api.deps import provide_db, provide_principal, provide_settings
from wms.api.idempotency import IdempotencyMiddleware
from wms.api.limits import RequestLimitsMiddleware
from wms.api.orders import OrderController
from wms.api.security import PUBLIC_PATHS, BearerAuth, add_security_headers, role_table
from wms.api.stock import StockController
from wms.api.timing import ServerTimingMiddleware, add_server_timing
from wms.api.webhooks import WebhookController
from wms.channels.errors import ChannelError
from wms.config import Settings
from wms.db import Database
from wms.errors import WmsError
from wms.services import site_carriers, wave_planning
from wms.services.outbox import OutboxWorker
from wms.services.tracking_poll import Poller
from wms.web import plugins as console_plugins


@get("/health", include_in_schema=False)
async def health() -> dict[str, str]:
    return {"status": "ok"}


def channel_error_handler(request: object, exc: ChannelError) -> object:
    status = exc.http_status if exc.http_status >= 400 else 400
    return problems.problem(status, exc.code, _short(exc.code), exc.message)


def _short(code: str) -> str:
    return {
        "bad_signature": "Bad signature",
        "missing_signature": "Signature missing",
        "bad_payload": "Bad payload",
        "bad_csv": "Bad CSV",
    }.get(code, "Channel error")


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    # One INFO line per channel push would cost more than the push under a spike.
    logging.getLogger("httpx").setLevel(logging.WARNING)

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        db = Database(settings.database_url)
        carrier_watch = site_carriers.CarrierWatch(db)  # rebuilt when `wms load` changes them
        await carrier_watch.start()  # the site's carrier accounts and sender
        app.state.db = db
        idempotency.register(db)
        app.state.settings = settings
        worker = OutboxWorker(db, poll_s=0.25)
        app.state.outbox = worker
        db.after_outbox_commit.append(worker.wake)
        task = asyncio.create_task(worker.run()) if settings.run_workers else None
        poller = Poller(db)  # parcels after the handover
        polling = asyncio.create_task(poller.run()) if settings.run_workers else None
        watching = asyncio.create_task(carrier_watch.run())
        # What the start-up just built (engines, the site's carriers and layout) is kept for
        # the process's life: exempt it from the full collections that every scan in flight
        # would wait for, as `wms serve` does for what was imported before (cli._settle_heap).
        gc.freeze()
        try:
            yield
        finally:
            worker.stop()
            poller.stop()
            carrier_watch.stop()
            await watching
            if polling:
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(polling, 5)
            if task:
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(task, 5)
            await worker.http.aclose()
            await db.dispose()
            await asyncio.to_thread(wave_planning.shutdown)

    handlers = dict(problems.HANDLERS)
    handlers[WmsError] = problems.wms_error_handler
    handlers[ChannelError] = channel_error_handler
    app = Litestar(
        route_handlers=[
            health,
            AuthController,
            AuditController,
            StockController,
            OrderController,
            WebhookController,
            AdminChannelController,
            *ADMIN_SITE_ROUTES,
            *waves.ROUTES,
            *picking.ROUTES,
            *scan.ROUTES,
            *packing.ROUTES,
            *shipping.ROUTES,
            *returns.ROUTES,
            *tracking_api.ROUTES,
            *reports.ROUTES,
            *margin_reports.ROUTES,
        ],
        lifespan=[lifespan],
        plugins=console_plugins(settings.database_url),
        before_send=[add_server_timing, add_security_headers],
        guards=[role_table],
        dependencies={
            "db": Provide(provide_db, sync_to_thread=False),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "user": Provide(provide_principal, sync_to_thread=False),
        },
        middleware=[
            ServerTimingMiddleware(),
            RequestLimitsMiddleware(settings.max_body_bytes),
            # The console (/ui) signs people in with its own session cookie (wms.web).
            DefineMiddleware(BearerAuth, exclude=[f"^{p}" for p in (*PUBLIC_PATHS, "/ui")]),
            IdempotencyMiddleware(),
        ],
        exception_handlers=handlers,
        openapi_config=openapi.config(),
        request_max_body_size=settings.max_body_bytes,
        debug=False,
    )
    openapi.document(app)
    return app
