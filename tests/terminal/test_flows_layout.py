"""The flows stay pure (no Textual, no HTTP, no I/O) and screens share helpers, not screens."""

from __future__ import annotations

import ast
from pathlib import Path

TERMINAL = Path(__file__).resolve().parents[2] / "terminal"
# What a flow may import: the standard library's pure parts and the terminal's pure modules.
PURE = {"__future__", "copy", "enum", "uuid", "collections.abc", "dataclasses", "typing"}
PURE_OWN = {"terminal", "terminal.scans", "terminal.text", "terminal.flows"}


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_flows_import_no_textual_no_http_and_nothing_that_does_io() -> None:
    flows = sorted((TERMINAL / "flows").glob("*.py"))
    assert {p.stem for p in flows} >= {"base", "pick", "pack"}
    for path in flows:
        for name in imported(path):
            own = name.startswith("terminal")
            ok = name.startswith("terminal.flows") or name in PURE_OWN if own else name in PURE
            assert ok, f"{path.name} imports {name}"
    for path in (TERMINAL / "scans.py", TERMINAL / "text.py"):
        assert imported(path) <= PURE, path.name


def test_no_screen_takes_its_helpers_from_another_flow_s_screen() -> None:
    shared = {"terminal.screens.base", "terminal.screens.stockflow", "terminal.screens.error"}
    for path in sorted((TERMINAL / "screens").glob("*.py")):
        if path.stem == "menu":
            continue  # the menu opens every screen: that is its job
        others = {n for n in imported(path) if n.startswith("terminal.screens.")} - shared
        assert others <= {"terminal.screens.menu"}, f"{path.name} imports {others}"
