"""Settings read from the environment (WMS_*), with embedded defaults for `make run`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VAR = ROOT / "var"

# Seconds an idle HTTP connection stays open. A scanner calls every few seconds to a minute;
# with uvicorn's 5 s, the same as httpx's, the server closed idle connections just as
# terminals reused them, and the scan failed with a read error into the offline journal.
# Clients must let go first.
KEEP_ALIVE_S = 65


def _default_db() -> str:
    return f"sqlite+aiosqlite:///{DEFAULT_VAR / 'wms.sqlite'}"


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=_default_db)
    host: str = "127.0.0.1"
    port: int = 8000
    token_ttl_s: int = 12 * 3600
    max_body_bytes: int = 1_000_000
    outbox_poll_s: float = 0.05
    run_workers: bool = True  # outbox and print dispatchers inside the server process
    # What a picker or packer may do to stock alone: receive at most this many units a line
    # (against a reference), and count at most this many units off per line; beyond, a
    # supervisor receives or approves.
    floor_receive_max_qty: int = 500
    floor_count_max_variance: int = 25
    reporting_currency: str = "USD"  # the merchant's books: unit costs, margin reports

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = os.environ
        values: dict[str, object] = {}
        if "WMS_DATABASE_URL" in env:
            values["database_url"] = env["WMS_DATABASE_URL"]
        if "WMS_HOST" in env:
            values["host"] = env["WMS_HOST"]
        if "WMS_PORT" in env:
            values["port"] = int(env["WMS_PORT"])
        if "WMS_RUN_WORKERS" in env:
            values["run_workers"] = env["WMS_RUN_WORKERS"] not in ("0", "false", "no")
        if "WMS_REPORTING_CURRENCY" in env:
            values["reporting_currency"] = env["WMS_REPORTING_CURRENCY"].upper()
        if "WMS_MAX_BODY_BYTES" in env:
            values["max_body_bytes"] = int(env["WMS_MAX_BODY_BYTES"])
        if "WMS_FLOOR_RECEIVE_MAX_QTY" in env:
            values["floor_receive_max_qty"] = int(env["WMS_FLOOR_RECEIVE_MAX_QTY"])
        if "WMS_FLOOR_COUNT_MAX_VARIANCE" in env:
            values["floor_count_max_variance"] = int(env["WMS_FLOOR_COUNT_MAX_VARIANCE"])
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
