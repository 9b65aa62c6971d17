"""Request limits applied before anything reads a request: body size, JSON depth, path ids.

The body is counted as it streams in (a chunked body has no Content-Length to refuse
up front), so no middleware or handler that buffers it, the retry-key middleware
included, ever holds more than the limit. JSON nesting is counted on the raw bytes, as
they stream, before any parser sees them: a 2 KB body nested 1,000 deep made the
decoders recurse into a 500. Path ids beyond what an id column holds cannot name a row:
they are answered 404 before a query that the database would refuse.
"""

from __future__ import annotations

import re

from litestar.enums import ScopeType
from litestar.exceptions import ClientException, NotFoundException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from wms.domain.bounds import MAX_ID

MAX_JSON_DEPTH = 32
# Only the bytes that change the nesting or a string's state: a body is scanned in C,
# the Python loop runs once per bracket or quote.
_STRUCTURAL = re.compile(rb'[\[\]{}"\\]')


class LimitExceeded(ClientException):
    """A request over a limit: the problem handler answers with this code and title."""

    def __init__(self, status: int, code: str, title: str, detail: str) -> None:
        super().__init__(detail=detail, status_code=status)
        self.code, self.title = code, title


class JsonDepth:
    """Nesting depth of a JSON text fed in chunks; raises past `limit`."""

    def __init__(self, limit: int = MAX_JSON_DEPTH) -> None:
        self.limit = limit
        self.depth = 0
        self.in_string = False
        # Where the character a backslash escapes sits, in the chunk being fed (0: the
        # backslash ended the previous chunk); None when no escape is pending.
        self.escape_at: int | None = None

    def feed(self, chunk: bytes) -> None:
        for match in _STRUCTURAL.finditer(chunk):
            at = match.start()
            if self.escape_at is not None:
                escaped, self.escape_at = at == self.escape_at, None
                if escaped:
                    continue
            char = match.group()
            if self.in_string:
                if char == b"\\":
                    self.escape_at = at + 1
                elif char == b'"':
                    self.in_string = False
            elif char == b'"':
                self.in_string = True
            elif char in (b"[", b"{"):
                self.depth += 1
                if self.depth > self.limit:
                    raise LimitExceeded(
                        400,
                        "json_too_deep",
                        "JSON too deep",
                        f"JSON may nest at most {self.limit} arrays or objects",
                    )
            elif char in (b"]", b"}"):
                self.depth -= 1
        if self.escape_at is not None:
            # Escaping the next chunk's first byte, or a byte of this one already passed.
            self.escape_at = 0 if self.escape_at >= len(chunk) else None


def _too_large(limit: int) -> LimitExceeded:
    return LimitExceeded(
        413, "body_too_large", "Request too large", f"the body may hold at most {limit} bytes"
    )


def _is_json(content_type: bytes) -> bool:
    # No content type at all is read as JSON by the handlers, so it is scanned too.
    return not content_type or b"json" in content_type.lower()


class RequestLimitsMiddleware(ASGIMiddleware):
    """Body size and JSON depth counted while streaming; out-of-range path ids refused."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, max_body_bytes: int, max_json_depth: int = MAX_JSON_DEPTH) -> None:
        self.max_body_bytes = max_body_bytes
        self.max_json_depth = max_json_depth

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        for value in scope.get("path_params", {}).values():
            if type(value) is int and not 0 <= value <= MAX_ID:
                raise NotFoundException(f"no such id: {value} is beyond every id")
        if scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await next_app(scope, receive, send)
            return
        limit = self.max_body_bytes
        content_type = b""
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    raise LimitExceeded(
                        400, "bad_request", "Bad request", "Content-Length is not a number"
                    ) from None
                if declared > limit:
                    raise _too_large(limit)
            elif name == b"content-type":
                content_type = value
        depth = JsonDepth(self.max_json_depth) if _is_json(content_type) else None
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                body = message.get("body", b"")
                seen += len(body)
                if seen > limit:
                    raise _too_large(limit)
                if depth is not None and body:
                    depth.feed(body)
            return message

        await next_app(scope, limited_receive, send)
