"""The floor's answers are typed: `/schema` names each one's shape, and the server sends it."""

from __future__ import annotations

import httpx

from tests.support.api import idem

FLOOR_ANSWERS = {
    ("/api/v1/picking/next", "post", "200"): "BatchView",
    ("/api/v1/picking/batches/{batch_id}", "get", "200"): "BatchView",
    ("/api/v1/picking/tasks/{task_id}/confirm", "post", "200"): "BatchView",
    ("/api/v1/picking/tasks/{task_id}/short", "post", "200"): "BatchView",
    ("/api/v1/picking/batches/{batch_id}/finish", "post", "200"): "BatchView",
    ("/api/v1/totes/{code}", "get", "200"): "ToteContents",
    ("/api/v1/packing/start", "post", "200"): "PackView",
    ("/api/v1/packing/orders/{order_id}/verify", "post", "200"): "PackView",
    ("/api/v1/packing/orders/{order_id}/parcels", "post", "201"): "ParcelClosed",
    ("/api/v1/packing/scan-and-ship", "post", "201"): "ScanShipped",
}
SCAN_KINDS = {"location", "product", "tote", "badge", "order", "sscc", "shipment"}


def _spec(client: httpx.Client) -> dict:
    r = client.get("/schema/openapi.json")
    assert r.status_code == 200, r.text
    return r.json()


def _answer(spec: dict, path: str, method: str, status: str) -> dict:
    return spec["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]


def _component(spec: dict, ref: dict) -> dict:
    return spec["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]


def test_every_floor_answer_is_a_named_shape_in_the_schema(anonymous):
    spec = _spec(anonymous)
    for (path, method, status), name in FLOOR_ANSWERS.items():
        ref = _answer(spec, path, method, status)
        assert ref.get("$ref", "").endswith(f"/{name}"), (path, ref)
    stop = _component(
        spec, _component(spec, {"$ref": "#/BatchView"})["properties"]["stops"]["items"]
    )
    assert {"task_id", "location", "check_code", "barcodes", "packs", "lots", "tote"} <= set(
        stop["properties"]
    )


def test_the_scan_answer_is_one_of_its_kinds_each_tagged_by_kind(anonymous):
    spec = _spec(anonymous)
    answer = _answer(spec, "/api/v1/scan", "get", "200")
    shapes = [_component(spec, ref) for ref in answer["oneOf"]]
    assert {s["properties"]["kind"]["const"] for s in shapes} == SCAN_KINDS


def test_a_pick_screen_has_exactly_the_fields_the_schema_names_in_order(
    anonymous, picker, supervisor, new_order, release_wave
):
    spec = _spec(anonymous)
    order = new_order(("SKU-0003", 1))
    release_wave([order["id"]])
    r = picker.post("/api/v1/picking/next", headers=idem())
    assert r.status_code == 200, r.text
    screen = r.json()
    view = _component(spec, _answer(spec, "/api/v1/picking/next", "post", "200"))
    assert list(screen) == list(view["properties"])  # the terminal reads these names
    stop = _component(spec, view["properties"]["stops"]["items"])
    assert list(screen["stops"][0]) == list(stop["properties"])
    r = supervisor.get(f"/api/v1/picking/batches/{screen['id']}")
    assert r.status_code == 200 and r.json() == screen
