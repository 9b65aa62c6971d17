"""Our batches re-routed by OR-Tools' guided local search: a peer figure (``bench`` extra)."""

from __future__ import annotations

from collections.abc import Sequence

from wms.domain.layout import Geometry, Point

SCALE = 100  # OR-Tools takes integer arc costs: hundredths of a length unit


def available() -> bool:
    try:
        from ortools.constraint_solver import pywrapcp  # noqa: F401
    except ImportError:
        return False
    return True


def route_length(geo: Geometry, stops: Sequence[Point], seconds: float) -> float:
    """Length of the depot-to-depot tour through ``stops`` that OR-Tools' routing
    solver finds in ``seconds`` (cheapest arc, then guided local search), measured with
    the same shortest walks between stops as our router."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    nodes = [geo.depot, *stops]
    if len(nodes) < 3:  # nothing to choose: out and back
        return 2 * geo.distance(nodes[0], nodes[-1])
    walk = [[geo.distance(a, b) for b in nodes] for a in nodes]
    manager = pywrapcp.RoutingIndexManager(len(nodes), 1, 0)
    model = pywrapcp.RoutingModel(manager)
    arcs = model.RegisterTransitMatrix([[round(d * SCALE) for d in row] for row in walk])
    model.SetArcCostEvaluatorOfAllVehicles(arcs)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    solution = None
    for attempt in range(4):  # a limit too short for even the first tour: allow more
        params.time_limit.FromMilliseconds(max(1, round(seconds * 1000 * 4**attempt)))
        solution = model.SolveWithParameters(params)
        if solution is not None:
            break
    if solution is None:
        raise RuntimeError("OR-Tools found no tour")
    tour = []
    index = model.Start(0)
    while not model.IsEnd(index):
        tour.append(manager.IndexToNode(index))
        index = solution.Value(model.NextVar(index))
    tour.append(0)
    return sum(walk[a][b] for a, b in zip(tour, tour[1:], strict=False))
