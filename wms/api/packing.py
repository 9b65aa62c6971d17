"""Floor API: packing (routes listed in ROUTES and mounted by wms.app)."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
