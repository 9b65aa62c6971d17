"""Code 128 encoding with the fewest symbol characters (subsets B and C, FNC1).

One encoder feeds all outputs: the ZPL field data (with ``>;`` ``>:`` ``>6`` ``>8``
invocation codes, so the printer does not guess), and the codewords the PNG and PDF
renderers draw through python-barcode's bar patterns.

Switching *into* subset C in mid-symbol (``>5``) is off by default: zebrash, the
renderer inside zpl-renderer-js and several ZPL previewers built on it, encodes ``>5``
as FNC4 and garbles the symbol. Starting in C and leaving it with ``>6`` covers GS1
labels whose numeric fixed-length AIs come first (the GS1 recommended order); mixed
data such as ``1Z...`` tracking numbers costs a few codewords more in subset B.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

FNC1 = "\x1d"  # GS stands for FNC1 in token strings: it is what a scanner sends for it.

START_B, START_C = 104, 105
CODE_A, CODE_B, CODE_C = 101, 100, 99
FNC1_VALUE = 102
# ZPL invocation codes for values that cannot be written as themselves in ^FD.
_ZPL_START = {"B": ">:", "C": ">;"}
_ZPL_SWITCH = {"B": ">6", "C": ">5"}
_ZPL_LITERAL = {"^": "><", ">": ">0", "~": ">="}


@dataclass(frozen=True)
class Code128Symbol:
    """The chosen encoding: codewords (start..data, no check, no stop) and ZPL data."""

    codewords: tuple[int, ...]
    zpl_data: str

    @property
    def check(self) -> int:
        """The mod-103 check codeword."""
        total = self.codewords[0] + sum(i * c for i, c in enumerate(self.codewords[1:], 1))
        return total % 103

    @property
    def modules(self) -> int:
        """Width in modules: 11 per codeword incl. check, 13 for the stop pattern."""
        return (len(self.codewords) + 1) * 11 + 13


def _check_data(data: str) -> None:
    for ch in data:
        if ch != FNC1 and not 32 <= ord(ch) <= 126:
            # Subset A (control characters) is programmed as digit pairs in ZPL: no label
            # of ours needs it, so refuse rather than print something else.
            raise ValueError(f"Code 128 data must be printable ASCII: {data!r}")


@lru_cache(maxsize=4096)
def encode(data: str, switch_to_c: bool = False) -> Code128Symbol:
    """Encode ``data`` (printable ASCII, FNC1 as GS) in the fewest codewords.

    With ``switch_to_c`` the encoder may also enter subset C after the start (``>5``),
    which real Zebra firmware supports; see the module docstring for why it is off.
    """
    _check_data(data)
    n = len(data)
    inf = 10**9
    # cost[i][s]: codewords for data[i:] when subset s is active; s 0 = B, 1 = C.
    cost = [[0, 0] for _ in range(n + 1)]
    step = [[0, 0] for _ in range(n + 1)]  # characters consumed by the next codeword

    def stay(i: int, s: int) -> tuple[int, int]:
        ch = data[i]
        if ch == FNC1:
            return 1 + cost[i + 1][s], 1
        if s == 0:
            return 1 + cost[i + 1][0], 1
        if i + 1 < n and ch.isdigit() and data[i + 1].isdigit():
            return 1 + cost[i + 2][1], 2
        return inf, 0

    for i in range(n - 1, -1, -1):
        for s in (0, 1):
            here, used = stay(i, s)
            there, _ = stay(i, 1 - s) if (s == 1 or switch_to_c) else (inf, 0)
            # Staying wins ties: fewer switches for the same length reads better.
            if here <= there + 1:
                cost[i][s], step[i][s] = here, used
            else:
                cost[i][s], step[i][s] = there + 1, -1  # -1: switch subset first
    # Start C only when it is strictly shorter (start costs the same either way).
    s = 1 if cost[0][1] < cost[0][0] else 0
    if n and step[0][s] == -1:
        s = 1 - s
    words = [START_C if s else START_B]
    zpl = [_ZPL_START["C" if s else "B"]]
    i = 0
    while i < n:
        if step[i][s] == -1:
            s = 1 - s
            if s == 0 and i == n - 1 and 32 <= ord(data[i]) <= 95:
                # One last character after subset C (an odd digit run): write it in
                # subset A, as a digit pair, at the same cost. zebrash drops a lone
                # character that follows an invocation code at the end of the data.
                value = ord(data[i]) - 32
                words += [CODE_A, value]
                zpl.append(f">7{value:02d}")
                break
            words.append(CODE_C if s else CODE_B)
            zpl.append(_ZPL_SWITCH["C" if s else "B"])
            continue
        ch = data[i]
        if ch == FNC1:
            words.append(FNC1_VALUE)
            zpl.append(">8")
            i += 1
        elif s == 1:
            words.append(int(data[i : i + 2]))
            zpl.append(data[i : i + 2])
            i += 2
        else:
            words.append(ord(ch) - 32)
            zpl.append(_ZPL_LITERAL.get(ch, ch))
            i += 1
    return Code128Symbol(tuple(words), "".join(zpl))


# GS1 General Specifications, figure 5.10.1-2: AIs whose element string has a
# predefined length need no FNC1 after them; keyed by the AI's first two digits.
PREDEFINED_LENGTH = {
    "00": 20, "01": 16, "02": 16, "03": 16, "04": 18, "11": 8, "12": 8, "13": 8,
    "14": 8, "15": 8, "16": 8, "17": 8, "18": 8, "19": 8, "20": 4, "31": 10, "32": 10,
    "33": 10, "34": 10, "35": 10, "36": 10, "41": 16,
}  # fmt: skip


def gs1_data(elements: Sequence[tuple[str, str]]) -> str:
    """Token string of a GS1-128 symbol: FNC1, then each AI + value, FNC1 after variable ones."""
    return _gs1_data(tuple((ai, value) for ai, value in elements))


@lru_cache(maxsize=4096)
def _gs1_data(elements: tuple[tuple[str, str], ...]) -> str:
    out = [FNC1]
    for index, (ai, value) in enumerate(elements):
        if not (ai.isdigit() and 2 <= len(ai) <= 4):
            raise ValueError(f"bad GS1 application identifier: {ai!r}")
        if FNC1 in value:
            raise ValueError(f"GS1 value must not contain FNC1: {value!r}")
        fixed = PREDEFINED_LENGTH.get(ai[:2])
        if fixed is not None and len(ai) + len(value) != fixed:
            raise ValueError(f"AI ({ai}) needs {fixed - len(ai)} characters, got {value!r}")
        out.append(ai + value)
        if fixed is None and index < len(elements) - 1:
            out.append(FNC1)
    return "".join(out)


def gs1_text(elements: Sequence[tuple[str, str]]) -> str:
    """Human-readable interpretation: ``(00)123...(420)75001``."""
    return "".join(f"({ai}){value}" for ai, value in elements)
