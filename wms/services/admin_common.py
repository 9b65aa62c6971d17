"""What the admin services share: setting an ORM row's changed fields."""

from __future__ import annotations

from typing import Any


def changed_fields(row: Any, values: dict[str, Any]) -> list[str]:
    """Set what differs on the ORM row; the names changed, for the audit line."""
    names = sorted(k for k, v in values.items() if getattr(row, k) != v)
    for name in names:
        setattr(row, name, values[name])
    return names
