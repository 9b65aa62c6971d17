"""Terminal settings: command line, then WMS_TERMINAL_* environment, then a TOML file."""

from __future__ import annotations

import argparse
import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

DEFAULT_FILE = Path("~/.config/wms-terminal.toml").expanduser()
DEFAULT_JOURNAL = Path("~/.local/state/wms-terminal/journal.sqlite").expanduser()
ENV_PREFIX = "WMS_TERMINAL_"


@dataclass(frozen=True)
class Settings:
    server: str = "http://127.0.0.1:8000"
    station: str = "PACK-01"
    scanner: str = ""  # empty: keyboard wedge; else a pyserial URL
    scale: str = ""  # optional pyserial URL of a scale at the pack station
    journal: Path = DEFAULT_JOURNAL
    timeout_s: float = 5.0
    web: bool = False
    web_host: str = "127.0.0.1"
    web_port: int = 8010


def _coerce(name: str, value: object) -> object:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    if kind == "bool":
        return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
    if kind == "int":
        return int(value)  # type: ignore[call-overload]
    if kind == "float":
        return float(value)  # type: ignore[arg-type]
    if kind == "Path":
        return Path(str(value)).expanduser()
    return str(value)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="wms-terminal", description="WMS scanner terminal")
    p.add_argument("--server", help="WMS server URL, e.g. http://127.0.0.1:8000")
    p.add_argument("--station", help="pack station code, e.g. PACK-01")
    p.add_argument("--scanner", help="pyserial URL of a serial scanner (default: keyboard)")
    p.add_argument("--scale", help="pyserial URL of a serial scale")
    p.add_argument("--journal", help="offline journal file (SQLite)")
    p.add_argument("--config", help=f"settings file (default {DEFAULT_FILE})")
    p.add_argument("--web", action="store_true", default=None, help="serve in a browser")
    p.add_argument("--web-port", type=int, dest="web_port")
    p.add_argument("--web-host", dest="web_host")
    return p


def load(argv: list[str] | None = None, env: dict[str, str] | None = None) -> Settings:
    """Merge the three sources; the most specific one wins for each setting."""
    args = vars(parser().parse_args(argv if argv is not None else []))
    env = dict(os.environ) if env is None else env
    path = Path(args.pop("config") or env.get(ENV_PREFIX + "CONFIG") or DEFAULT_FILE)
    values: dict[str, object] = {}
    if path.expanduser().is_file():
        data = tomllib.loads(path.expanduser().read_text())
        values.update(data.get("terminal", data))
    names = {f.name for f in fields(Settings)}
    for name in names:
        if ENV_PREFIX + name.upper() in env:
            values[name] = env[ENV_PREFIX + name.upper()]
    values.update({k: v for k, v in args.items() if v is not None})
    return Settings(**{k: _coerce(k, v) for k, v in values.items() if k in names})
