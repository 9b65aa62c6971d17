"""Domain errors with stable codes; the API turns each into an RFC 9457 problem.

    WmsError (422)                  anything a caller did wrong, with a stable `code`
    ├── NotFound (404)              unknown sku, location, order, ...
    ├── Conflict (409)              the request is valid but the state does not allow it
    ├── Unauthorized (401)          no or bad credentials, bad signature
    └── Forbidden (403)             authenticated but the role may not do this

Messages are short enough for a 20-column scanner screen (two lines at most);
`detail` may carry the longer explanation and `extra` machine-readable fields.
"""

from __future__ import annotations

from typing import Any


class WmsError(Exception):
    status = 422

    def __init__(self, code: str, message: str, detail: str = "", **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail or message
        self.extra = extra


class NotFound(WmsError):
    status = 404


class Conflict(WmsError):
    status = 409


class Unauthorized(WmsError):
    status = 401


class Forbidden(WmsError):
    status = 403


class PayloadTooLarge(WmsError):
    status = 413
