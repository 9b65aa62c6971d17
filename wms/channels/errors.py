"""Typed channel errors, each with a stable ``code`` the API maps to a problem response.

ChannelError                    code            suggested HTTP answer
├── BadSignature                bad_signature   401
│   └── MissingSignature        missing_signature 401
├── BadPayload                  bad_payload     400
│   └── CsvImportError          bad_csv         400 (carries row errors)
├── UnknownTopic                unknown_topic   200 + log (the channel retries a 4xx)
├── ConfigError                 bad_channel_config 500
└── ChannelApiError             channel_api_error (502); .retryable for the outbox
    └── ChannelUnavailable      channel_unavailable (503), always retryable
"""

from __future__ import annotations

from dataclasses import dataclass


class ChannelError(Exception):
    """Base of every error raised by ``wms.channels``."""

    code = "channel_error"
    http_status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadSignature(ChannelError):
    code = "bad_signature"
    http_status = 401


class MissingSignature(BadSignature):
    code = "missing_signature"


class BadPayload(ChannelError):
    code = "bad_payload"


class UnknownTopic(ChannelError):
    code = "unknown_topic"
    # Answering 4xx makes the channel retry and, for Woo, disable the hook after 5 failures.
    http_status = 200


class ConfigError(ChannelError):
    code = "bad_channel_config"
    http_status = 500


class ChannelApiError(ChannelError):
    """The channel's API answered with an error (HTTP status or ``code != 0`` envelope)."""

    code = "channel_api_error"
    http_status = 502

    def __init__(
        self,
        message: str,
        *,
        api_code: str = "",
        http_status: int = 0,
        retryable: bool = False,
        request_id: str = "",
    ) -> None:
        super().__init__(message)
        self.api_code = api_code
        self.upstream_status = http_status
        self.retryable = retryable
        self.request_id = request_id


class ChannelUnavailable(ChannelApiError):
    """Timeout, connection failure or 5xx/429: try again later."""

    code = "channel_unavailable"
    http_status = 503

    def __init__(self, message: str, *, http_status: int = 0) -> None:
        super().__init__(message, http_status=http_status, retryable=True)


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based line number in the file, the header being row 1
    column: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f" {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class CsvImportError(BadPayload):
    code = "bad_csv"

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = tuple(errors)
        head = "; ".join(str(e) for e in errors[:5])
        more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"{len(errors)} bad row(s): {head}{more}")
