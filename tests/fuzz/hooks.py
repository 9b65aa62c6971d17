"""Schemathesis hooks for the fuzz run: every 4xx must be a problem with a stable code."""

from __future__ import annotations

import json
import re
from typing import Any

import schemathesis

CODE = re.compile(r"^[a-z][a-z0-9_]*$")


@schemathesis.check
def problem_json_with_a_stable_code(ctx: Any, response: Any, case: Any) -> bool | None:
    """A refusal is RFC 9457 problem JSON with a snake_case code and a short title."""
    if not 400 <= response.status_code < 500:
        return None
    content_type = response.headers.get("content-type", [""])
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    if not content_type.startswith("application/problem+json"):
        raise AssertionError(f"{response.status_code} answered as {content_type!r}")
    body = json.loads(response.content)
    if not (isinstance(body, dict) and CODE.match(str(body.get("code", "")))):
        raise AssertionError(f"no stable code in {body!r}")
    if body.get("status") != response.status_code:
        raise AssertionError(f"status {body.get('status')} in a {response.status_code} answer")
    if not 0 < len(str(body.get("title", ""))) <= 20:
        raise AssertionError(f"title {body.get('title')!r} does not fit a scanner line")
    return None
