"""Ratliff–Rosenthal dynamic programme: the shortest pick tour in a one-block warehouse.

The warehouse is seen as columns (aisles, left to right) between a front and a back
cross aisle. A tour is a connected even-degree multigraph covering every pick; the
programme sweeps the columns and keeps, per *state* of the two frontier nodes (front
node a, back node b of the current column), the cheapest partial subgraph. A state is
(class of a, class of b, a and b connected) where a class is 0 (no edge), 1 (odd
degree) or 2 (even, positive degree) — Ratliff & Rosenthal (1983)'s equivalence
classes. Transitions add 0, 1 or 2 copies of the front and back horizontal edge and
one of six vertical configurations of the next column:

- NONE (no pick in it), FULL1 (walk through once), FULL2 (through and back),
- BOTTOM (in from the front and back out, up to the farthest pick), TOP (the same
  from the back), GAP (from both ends, leaving out the largest gap between picks).

The transition table is derived by checking parity and connectivity on the four
nodes involved instead of being typed in, and the hot loop is generated from it
as straight-line code (the batching search calls it many thousand times).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

INF = float("inf")
NONE, FULL1, FULL2, BOTTOM, TOP, GAP = range(6)
V_NAMES = ("none", "full1", "full2", "bottom", "top", "gap")
# vertical configuration -> (degree added at a, at b, does it join a and b)
_V_DEG = ((0, 0, False), (1, 1, True), (2, 2, True), (2, 0, False), (0, 2, False), (2, 2, False))

State = tuple[int, int, int]
START: State = (-1, -1, -1)  # before the first column: no subgraph yet


def _cls(prev: int, add: int) -> int:
    """Degree class after adding ``add`` edge ends to a node of class ``prev``."""
    if prev == 0 and add == 0:
        return 0
    return 1 if ((1 if prev == 1 else 0) + add) % 2 else 2


def transition(s: State, hf: int, hb: int, v: int) -> State | None:
    """Next state, or None if the partial subgraph can no longer become a tour."""
    va, vb, vconn = _V_DEG[v]
    if s == START:
        if hf or hb or (va == 0 and vb == 0):
            return None
        return (_cls(0, va), _cls(0, vb), int(vconn))
    pa, pb, conn = s
    a_old, b_old = _cls(pa, hf), _cls(pb, hb)
    if a_old == 1 or b_old == 1:  # a node left behind must have even degree
        return None
    parent = [0, 1, 2, 3]

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        parent[find(i)] = find(j)

    if conn:
        union(0, 1)
    if hf:
        union(0, 2)
    if hb:
        union(1, 3)
    if vconn:
        union(2, 3)
    na, nb = _cls(0, hf + va), _cls(0, hb + vb)
    if na == 0 and nb == 0:
        return None  # a closed component behind us, but picks remain ahead
    for old, alive in ((0, a_old > 0), (1, b_old > 0)):
        reach = (na > 0 and find(old) == find(2)) or (nb > 0 and find(old) == find(3))
        if alive and not reach:
            return None
    return (na, nb, int(na > 0 and nb > 0 and find(2) == find(3)))


def is_final(s: State) -> bool:
    pa, pb, conn = s
    return pa != 1 and pb != 1 and (pa == 0 or pb == 0 or conn == 1) and (pa or pb)


def _build_table() -> tuple[list[State], dict[State, list[tuple[State, int, int, int]]]]:
    """Reachable states and, per state, the moves (next, hf, hb, v), dominated ones dropped."""
    states: list[State] = []
    moves: dict[State, list[tuple[State, int, int, int]]] = {}
    todo = [START]
    seen = {START}
    while todo:
        s = todo.pop()
        best: dict[tuple[State, int], tuple[int, int, int]] = {}
        for hf in range(3):
            for hb in range(3):
                for v in range(6):
                    t = transition(s, hf, hb, v)
                    if t is None:
                        continue
                    key = (t, v)
                    if key not in best or hf + hb < sum(best[key][:2]):
                        best[key] = (hf, hb, v)
                    if t not in seen:
                        seen.add(t)
                        todo.append(t)
        # FULL2 costs twice FULL1, which is always available: drop FULL2 if FULL1 is no dearer.
        out = []
        for (t, v), (hf, hb, _) in best.items():
            cheaper = best.get((t, FULL1))
            if v == FULL2 and cheaper is not None and sum(cheaper[:2]) <= hf + hb:
                continue
            out.append((t, hf, hb, v))
        moves[s] = sorted(out)
        if s != START:
            states.append(s)
    return sorted(states), moves


STATES, MOVES = _build_table()
_INDEX = {s: i for i, s in enumerate(STATES)}
FINAL = tuple(i for i, s in enumerate(STATES) if is_final(s))


def column_costs(ys: Sequence[float], length: float, virtual: bool = False) -> tuple[float, ...]:
    """Cost of each vertical configuration for a column with picks at ``ys`` (sorted,
    measured from the front node, 0 <= y <= length). A virtual column (the depot off
    the aisles) can only be touched at its front node."""
    if virtual:
        return (0.0 if not ys else INF, INF, INF, 0.0 if ys else INF, INF, INF)
    if not ys:
        return (0.0, length, 2 * length, INF, INF, INF)
    gap = max((b - a for a, b in zip(ys, ys[1:], strict=False)), default=None)
    return (
        INF,
        length,
        2 * length,
        2 * ys[-1],
        2 * (length - ys[0]),
        INF if gap is None else 2 * (length - gap),
    )


def shape_costs(
    first: float, last: float, gap: float, length: float, virtual: bool = False
) -> tuple[float, ...]:
    """``column_costs`` from the lowest pick, the highest, and the widest gap between
    two picks (negative when there is only one)."""
    if virtual:
        return (INF, INF, INF, 0.0, INF, INF)
    return (
        INF,
        length,
        2 * length,
        2 * last,
        2 * (length - first),
        INF if gap < 0 else 2 * (length - gap),
    )


@dataclass(frozen=True)
class Plan:
    """The optimal tour's edges: per column its vertical configuration, and per gap
    between columns the copies of the front and back horizontal edge."""

    cost: float
    vertical: tuple[int, ...]
    horizontal: tuple[tuple[int, int], ...]


def solve(costs: Sequence[tuple[float, ...]], dxs: Sequence[float]) -> Plan:
    """Cheapest tour over columns ``costs`` (all of them between the first and the last
    column holding a pick, both included), ``dxs[i]`` between column i and i+1."""
    layers: list[dict[State, tuple[float, State | None, int, int, int]]] = []
    cur: dict[State, tuple[float, State | None, int, int, int]] = {}
    for t, _hf, _hb, v in MOVES[START]:
        c = costs[0][v]
        if c < cur.get(t, (INF,))[0]:
            cur[t] = (c, None, 0, 0, v)
    layers.append(cur)
    for j in range(1, len(costs)):
        nxt: dict[State, tuple[float, State | None, int, int, int]] = {}
        for s, (base, *_rest) in cur.items():
            for t, hf, hb, v in MOVES[s]:
                c = base + (hf + hb) * dxs[j - 1] + costs[j][v]
                if c < nxt.get(t, (INF,))[0]:
                    nxt[t] = (c, s, hf, hb, v)
        layers.append(nxt)
        cur = nxt
    finals = [(c[0], s) for s, c in cur.items() if is_final(s)]
    if not finals:
        raise ValueError("no tour: columns are not coverable")
    cost, s = min(finals)
    vertical: list[int] = []
    horizontal: list[tuple[int, int]] = []
    for j in range(len(costs) - 1, -1, -1):
        _c, prev, hf, hb, v = layers[j][s]
        vertical.append(v)
        if j:
            horizontal.append((hf, hb))
        s = prev  # type: ignore[assignment]
    return Plan(cost, tuple(reversed(vertical)), tuple(reversed(horizontal)))


# Fast path. Per column, the moves collapse into one transfer cost per structurally
# possible (state, next state) pair: E[s -> t] = min over moves of h * dx + cost of v.
# A column's E depends only on its picks and its distance to the previous column, so
# callers cache it; the sweep itself is then ~20 additions per column.
PAIRS = sorted({(_INDEX[s], _INDEX[t]) for s in STATES for t, _hf, _hb, _v in MOVES[s]})
_PAIR_MOVES = [
    [(hf + hb, v) for t, hf, hb, v in MOVES[STATES[si]] if _INDEX[t] == ti] for si, ti in PAIRS
]
_START_MOVES = [
    [v for t, _hf, _hb, v in MOVES[START] if _INDEX[t] == i] for i in range(len(STATES))
]


def _generate_transfer() -> str:
    """Source of ``transfer(c, dx)`` and ``start_vector(c)`` as straight-line code."""

    def term(h: int, v: int) -> str:
        return f"h{h}+c{v}" if h else f"c{v}"

    def best(options: list[str]) -> str:
        return (
            "INF"
            if not options
            else options[0]
            if len(options) == 1
            else f"min({','.join(options)})"
        )

    head = "    c0,c1,c2,c3,c4,c5=c"
    lines = ["def transfer(c, dx):", head, "    h1=dx; h2=dx+dx; h3=h2+dx; h4=h2+h2"]
    for k, moves in enumerate(_PAIR_MOVES):  # running minima, as in ``step``
        terms = sorted({term(h, v) for h, v in moves})
        lines.append(f"    r{k}={terms[0] if terms else 'INF'}")
        for t in terms[1:]:
            lines += [f"    y={t}", f"    if y<r{k}: r{k}=y"]
    lines.append("    return (" + ",".join(f"r{k}" for k in range(len(_PAIR_MOVES))) + ",)")
    lines += ["def start_vector(c):", head]
    starts = [best([f"c{v}" for v in vs]) for vs in _START_MOVES]
    lines.append("    return (" + ",".join(starts) + ",)")
    return "\n".join(lines)


def _generate_step() -> str:
    """Source of ``step(D, E)``: one column of the sweep, as straight-line code."""
    n = len(STATES)
    terms: dict[int, list[str]] = {t: [] for t in range(n)}
    for k, (si, ti) in enumerate(PAIRS):
        terms[ti].append(f"d{si}+e{k}")
    lines = [
        "def step(D, E):",
        "    " + ",".join(f"d{i}" for i in range(n)) + ",=D",
        "    " + ",".join(f"e{k}" for k in range(len(PAIRS))) + ",=E",
    ]
    # Running minima as comparisons: builtin min() calls cost ~3x more in the hot loop.
    for t in range(n):
        ts = terms[t]
        if not ts:
            lines.append(f"    r{t}=INF")
            continue
        lines.append(f"    r{t}={ts[0]}")
        for term in ts[1:]:
            lines += [f"    y={term}", f"    if y<r{t}: r{t}=y"]
    lines.append("    return (" + ",".join(f"r{t}" for t in range(n)) + ",)")
    return "\n".join(lines)


_ns: dict[str, object] = {"INF": INF}
exec(compile(_generate_step(), "<aisle_dp.step>", "exec"), _ns)  # noqa: S102
exec(compile(_generate_transfer(), "<aisle_dp.transfer>", "exec"), _ns)  # noqa: S102
step = _ns["step"]
transfer = _ns["transfer"]  # (column costs, dx) -> cost per pair, in PAIRS order
start_vector = _ns["start_vector"]  # column costs -> state costs after a first column


def finish(d: Sequence[float]) -> float:
    return min(d[i] for i in FINAL)


def tour_cost(costs: Sequence[tuple[float, ...]], dxs: Sequence[float]) -> float:
    """The same optimum as ``solve`` without the edges: the fast path for batching."""
    d = start_vector(tuple(costs[0]))
    for j in range(1, len(costs)):
        d = step(d, transfer(tuple(costs[j]), dxs[j - 1]))  # type: ignore[operator]
    return finish(d)
