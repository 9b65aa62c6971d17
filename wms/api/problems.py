"""RFC 9457 problem responses with a stable `code` for every error the API returns."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    SerializationException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import StatementError

from wms.domain.bounds import AmountOutOfRange
from wms.errors import WmsError

PROBLEM_JSON = "application/problem+json"

_HTTP_CODES = {
    400: ("bad_request", "Bad request"),
    401: ("unauthorized", "Please log in"),
    403: ("forbidden", "Not allowed"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    409: ("conflict", "Conflict"),
    413: ("body_too_large", "Request too large"),
    415: ("unsupported_media", "Wrong content type"),
    429: ("too_many_requests", "Too many requests"),
}


def problem(
    status: int, code: str, title: str, detail: str = "", instance: str = "", **extra: Any
) -> Response[dict[str, Any]]:
    body = {
        "type": f"https://wms.dev/problems/{code}",
        "title": title,
        "status": status,
        "code": code,
        "detail": detail or title,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    return Response(body, status_code=status, media_type=PROBLEM_JSON)


def wms_error_handler(request: Request, exc: WmsError) -> Response[dict[str, Any]]:
    return problem(exc.status, exc.code, exc.message, exc.detail, request.url.path, **exc.extra)


def validation_handler(request: Request, exc: ValidationException) -> Response[dict[str, Any]]:
    detail = str(exc.detail)
    extra = exc.extra if isinstance(exc.extra, list) else []
    malformed = "decode" in detail.lower() or "malformed" in detail.lower()
    if malformed:
        return problem(400, "malformed_json", "Malformed JSON", detail, request.url.path)
    return problem(
        400, "invalid_request", "Invalid request", detail, request.url.path, errors=extra
    )


def http_error_handler(request: Request, exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    code, title = _HTTP_CODES.get(status, ("http_error", "Request failed"))
    if status == 400 and isinstance(exc.__cause__, SerializationException | msgspec.DecodeError):
        code, title = "malformed_json", "Malformed JSON"
    if isinstance(exc, NotAuthorizedException):
        code, title = "unauthorized", "Please log in"
    elif isinstance(exc, PermissionDeniedException):
        code, title = "forbidden", "Not allowed"
    elif isinstance(exc, NotFoundException):
        code, title = "not_found", "Not found"
    # A limit's own code (json_too_deep, body_too_large), set where it was refused.
    code, title = getattr(exc, "code", code), getattr(exc, "title", title)
    answer = problem(status, code, title, str(exc.detail), request.url.path)
    if exc.headers:  # a 405's Allow, a 401's WWW-Authenticate
        answer.headers.update(exc.headers)
    return answer


def statement_error_handler(request: Request, exc: StatementError) -> Response[dict[str, Any]]:
    """An amount refused by the money column's own guard (see Money): a problem, not a 500."""
    if isinstance(exc.orig, AmountOutOfRange):
        return problem(422, "bad_amount", "Amount out of range", str(exc.orig), request.url.path)
    return internal_error_handler(request, exc)


def internal_error_handler(request: Request, exc: Exception) -> Response[dict[str, Any]]:
    request.logger.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return problem(
        HTTP_500_INTERNAL_SERVER_ERROR,
        "internal_error",
        "Server error, retry",
        "the server failed; nothing was changed",
        request.url.path,
    )


HANDLERS: dict[Any, Any] = {
    WmsError: wms_error_handler,
    ValidationException: validation_handler,
    HTTPException: http_error_handler,
    StatementError: statement_error_handler,
    Exception: internal_error_handler,
}

__all__ = ["HANDLERS", "MediaType", "PROBLEM_JSON", "problem"]
