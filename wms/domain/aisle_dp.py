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


def _generate_step() -> str:
    """Source of ``step(D, dx, c)``: one column of the programme, as straight-line code."""
    terms: dict[int, list[str]] = {i: [] for i in range(len(STATES))}
    for s in STATES:
        for t, hf, hb, v in MOVES[s]:
            h = hf + hb
            terms[_INDEX[t]].append(f"d{_INDEX[s]}" + (f"+h{h}" if h else "") + f"+c{v}")
    lines = ["def step(D, dx, c):"]
    lines.append("    " + ",".join(f"d{i}" for i in range(len(STATES))) + ",=D")
    lines.append("    c0,c1,c2,c3,c4,c5=c")
    lines.append("    h1=dx; h2=dx+dx; h3=h2+dx; h4=h2+h2")
    out = []
    for i in range(len(STATES)):
        ts = terms[i]
        out.append("INF" if not ts else ts[0] if len(ts) == 1 else f"min({','.join(ts)})")
    lines.append("    return (" + ",".join(out) + ",)")
    return "\n".join(lines)


_ns: dict[str, object] = {"INF": INF}
exec(compile(_generate_step(), "<aisle_dp.step>", "exec"), _ns)  # noqa: S102
_step = _ns["step"]
_START_TERMS = [(_INDEX[t], v) for t, _hf, _hb, v in MOVES[START]]


def tour_cost(costs: Sequence[tuple[float, ...]], dxs: Sequence[float]) -> float:
    """The same optimum as ``solve`` without the edges: the fast path for batching."""
    first = costs[0]
    d = [INF] * len(STATES)
    for i, v in _START_TERMS:
        if first[v] < d[i]:
            d[i] = first[v]
    D = tuple(d)
    step = _step
    for j in range(1, len(costs)):
        D = step(D, dxs[j - 1], costs[j])  # type: ignore[operator]
    return min(D[i] for i in FINAL)
