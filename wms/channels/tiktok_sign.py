"""TikTok Shop request signing (API version 202309), as TikTok's SDKs compute it."""

from __future__ import annotations

from collections.abc import Mapping

from wms.channels.common import hmac_hex

EXCLUDED_PARAMS = frozenset({"sign", "access_token"})


def string_to_sign(
    app_secret: str, path: str, params: Mapping[str, str], body: bytes = b""
) -> bytes:
    """``app_secret + path + Σ sorted(key + value) + body + app_secret``.

    ``body`` is the exact raw body sent; pass ``b""`` for GET and multipart requests.
    """
    pairs = "".join(f"{k}{params[k]}" for k in sorted(params) if k not in EXCLUDED_PARAMS)
    secret = app_secret.encode("utf-8")
    return secret + path.encode("utf-8") + pairs.encode("utf-8") + body + secret


def sign(app_secret: str, path: str, params: Mapping[str, str], body: bytes = b"") -> str:
    """Lowercase hex HMAC-SHA256 keyed with the app secret."""
    return hmac_hex(app_secret, string_to_sign(app_secret, path, params, body))


def webhook_signature(app_key: str, app_secret: str, body: bytes) -> str:
    """The ``Authorization`` header TikTok puts on a webhook: hex HMAC(secret, key + body)."""
    return hmac_hex(app_secret, app_key.encode("utf-8") + body)
