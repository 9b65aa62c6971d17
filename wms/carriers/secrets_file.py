"""A site's carrier secrets file: the credentials its carriers.json names, kept outside the
repository.

carriers.json may name one (``"secrets_file": "../secrets/carriers.env"``, relative to the
site folder, or absolute). It holds ``NAME=value`` lines ("#" starts a comment line), the
same names the accounts' ``credentials_env`` and ``webhook_secret_env`` give. A variable
set in the environment wins over the file, so an operator can override one key without
editing it. The values are read when the carriers are configured and kept in memory only:
never written to the database, never answered by the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

KEY = "secrets_file"


class SecretsFileError(ValueError):
    """The secrets file is missing, unreadable or has a line that is not NAME=value."""


def resolve(named: str, base: Path) -> Path:
    """The file's absolute path: as given when absolute, else from the site folder."""
    path = Path(named).expanduser()
    return path if path.is_absolute() else (base / path).resolve()


def in_repository(path: Path) -> Path | None:
    """The git work tree holding ``path``, if any: secrets never live in one."""
    for folder in path.resolve().parents:
        if (folder / ".git").exists():
            return folder
    return None


def read(path: Path) -> dict[str, str]:
    """The file's NAME=value pairs (quotes around a value are dropped)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise SecretsFileError(f"the secrets file {path} does not exist") from exc
    except OSError as exc:
        raise SecretsFileError(f"cannot read the secrets file {path}: {exc.strerror}") from exc
    values: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, eq, value = line.removeprefix("export ").partition("=")
        if not eq or not name.strip().isidentifier():
            # Says where, never what: the line may hold a secret.
            raise SecretsFileError(f"{path}, line {n}: expected NAME=value")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name.strip()] = value
    return values


def named(raw: Any, base: Path | None) -> Path | None:
    """The secrets file carriers.json names, resolved, or None."""
    if not isinstance(raw, dict) or not raw.get(KEY):
        return None
    return resolve(str(raw[KEY]), base or Path.cwd())


def environment(raw: Any, env: Mapping[str, str], base: Path | None = None) -> dict[str, str]:
    """The variables credentials come from: the secrets file overlaid by the environment.

    Raises SecretsFileError when the file is named but cannot be read."""
    path = named(raw, base)
    if path is None:
        return dict(env)
    return {**read(path), **env}


def wanted(raw: Any) -> list[tuple[str, str]]:
    """The accounts' credentials (where in carriers.json, variable name); a tracking
    webhook's secret may come from the file too, but without one the account still ships."""
    if not isinstance(raw, dict):
        return []
    found: list[tuple[str, str]] = []
    entries = raw.get("carriers", [])
    for n, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict):
            continue
        names = entry.get("credentials_env", {})
        for setting, var in (names.items() if isinstance(names, dict) else []):
            found.append((f"carriers[{n}] {entry.get('code', '')} {setting}", str(var)))
    return found
