"""Every problem title the server can send fits a 20-column scanner screen."""

from __future__ import annotations

import ast
from pathlib import Path

from wms.api.problems import _HTTP_CODES
from wms.app import _short
from wms.channels import errors as channel_errors
from wms.errors import WmsError

ROOT = Path(__file__).resolve().parents[2]
MAX_TITLE = 20


def _error_classes() -> set[str]:
    """Names of WmsError and of every subclass the code defines (Replay, ...)."""
    names = {"WmsError"}
    trees = [ast.parse(p.read_text()) for p in (ROOT / "wms").rglob("*.py")]
    grew = True
    while grew:
        grew = False
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names:
                    bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                    if bases & names:
                        names.add(node.name)
                        grew = True
    return names


def _titles() -> list[tuple[str, int, str, bool]]:
    """(file, line, title) for every WmsError raised and every problem built in wms/."""
    classes = _error_classes()
    found: list[tuple[str, int, str, bool]] = []
    for path in (ROOT / "wms").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name in classes or name == "_wrong":
                index = 1
            elif name in ("problem", "_problem", "LimitExceeded"):
                index = 2
            else:
                continue
            titles = [kw.value for kw in node.keywords if kw.arg in ("message", "title")]
            if len(node.args) > index:
                titles.append(node.args[index])
            for title in titles:
                literal = isinstance(title, ast.Constant) and isinstance(title.value, str)
                value = title.value if literal else ast.unparse(title)
                found.append((str(path.relative_to(ROOT)), node.lineno, value, literal))
    return found


def test_every_problem_title_the_code_raises_fits_a_scanner_line():
    titles = _titles()
    assert len(titles) > 100  # the walk finds the raises
    too_long = [t for t in titles if t[3] and len(t[2]) > MAX_TITLE]
    assert too_long == []


def test_every_problem_title_is_a_literal_so_its_length_is_known():
    computed = [t[:3] for t in _titles() if not t[3]]
    # The few that pass a title along (the handlers) take it from a checked table or error.
    allowed = {"exc.message", "refusal.message", "title", "_short(exc.code)", "exc.title"}
    # A wave's or batch's status is one of a few words, "cancelled" the longest.
    statuses = {"'Wave is ' + wave.status", "'Batch is ' + status", "'Batch is ' + batch.status"}
    assert len("Batch is cancelled") <= MAX_TITLE
    assert [t for t in computed if t[2] not in allowed | statuses] == []


def test_the_tables_of_titles_fit_a_scanner_line():
    for code, title in _HTTP_CODES.values():
        assert len(title) <= MAX_TITLE, code
    codes = {
        getattr(cls, "code", "")
        for cls in vars(channel_errors).values()
        if isinstance(cls, type)
    }
    for code in codes | {"bad_signature", "missing_signature", "bad_payload", "bad_csv", "x"}:
        assert len(_short(code)) <= MAX_TITLE, code


def test_an_error_keeps_its_title_for_the_problem():
    assert WmsError("c", "Short").message == "Short"
