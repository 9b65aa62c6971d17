"""Server-Timing on every answer: how long the server took, as the terminal cannot tell.

A slow scan on a terminal is then either the server's (this figure) or the network's and
the client's (the rest), which is the first question when one is reported.
"""

from __future__ import annotations

import time

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

_STARTED = "server_timing_started"


class ServerTimingMiddleware(ASGIMiddleware):
    """Notes when the request arrived; the outermost middleware, so before any refusal."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        scope["state"][_STARTED] = time.perf_counter()
        await next_app(scope, receive, send)


async def add_server_timing(message: Message, scope: Scope) -> None:
    """`before_send` hook: `Server-Timing: app;dur=<ms>` on the answer's headers.

    A hook, not the middleware's own send: Litestar answers an exception raised in a
    middleware (a missing token, a bad retry key) from outside all middleware.
    """
    started = scope.get("state", {}).get(_STARTED)
    if message["type"] == "http.response.start" and started is not None:
        ms = (time.perf_counter() - started) * 1000
        message["headers"] = [*message.get("headers", []), (b"server-timing", b"app;dur=%.1f" % ms)]
