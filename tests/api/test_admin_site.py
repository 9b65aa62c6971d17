"""Admin API: products, users and badges, printers and stations change while the warehouse runs."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support import api
from tests.support.api import problem
from wms.domain.checkdigits import with_check_digit
from wms.loopback import ThreadServer


@pytest.fixture(scope="module")
def admin(server: ThreadServer) -> Iterator[httpx.Client]:
    with api.client(server.url, api.login(server.url, "admin")) as c:
        yield c


def _gtin() -> str:
    return with_check_digit("20" + f"{uuid.uuid4().int % 10**10:010d}")


def _audit(client: httpx.Client, action: str, target: str) -> list[dict[str, Any]]:
    r = client.get("/api/v1/audit/", params={"action": action})
    assert r.status_code == 200, r.text
    return [line for line in r.json() if line["target"] == target]


def test_a_product_is_added_edited_and_disabled_and_each_change_is_audited(
    admin: httpx.Client,
) -> None:
    first, second = _gtin(), _gtin()
    new = {"sku": "ADM-0001", "name": "Linen apron", "weight_g": 240, "unit_cost": "4.10"}
    r = admin.post("/api/v1/admin/products/", json={**new, "barcodes": [first]})
    assert r.status_code == 201, r.text
    assert r.json()["barcodes"] == [first] and r.json()["unit_cost"] == "4.10"
    r = admin.patch(
        "/api/v1/admin/products/ADM-0001", json={"name": "Linen apron, sand", "barcodes": [second]}
    )
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Linen apron, sand" and r.json()["barcodes"] == [second]
    # The scanner knows the new barcode at once and the old one no more.
    assert admin.get("/api/v1/scan", params={"code": second}).json()["sku"] == "ADM-0001"
    r = admin.patch("/api/v1/admin/products/ADM-0001", json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    assert admin.get("/api/v1/admin/products/ADM-0001").json()["active"] is False
    page = admin.get("/api/v1/admin/products/", params={"after": "ADM-0000", "limit": 1})
    assert [p["sku"] for p in page.json()] == ["ADM-0001"]
    (created,) = _audit(admin, "product.create", "ADM-0001")
    assert created["actor"] == "admin" and created["at"]
    details = [line["detail"] for line in _audit(admin, "product.update", "ADM-0001")]
    assert details == ["changed=active", "changed=name,barcodes"]


def test_a_bad_or_duplicate_product_is_refused_and_nothing_is_written(
    admin: httpx.Client,
) -> None:
    taken = _gtin()
    assert admin.post(
        "/api/v1/admin/products/",
        json={"sku": "ADM-0002", "name": "Tea towel", "barcodes": [taken]},
    ).is_success
    before = admin.get("/api/v1/admin/products/", params={"after": "ADM"}).json()
    url = "/api/v1/admin/products/"
    problem(admin.post(url, json={"sku": "ADM-0002", "name": "Again"}), 409, "product_exists")
    problem(
        admin.post(
            url, json={"sku": "ADM-0003", "name": "X", "barcodes": ["4006381333932"[:-1] + "0"]}
        ),
        422,
        "bad_barcode",
    )
    problem(
        admin.post(url, json={"sku": "ADM-0003", "name": "X", "barcodes": [taken]}),
        409,
        "barcode_taken",
    )
    problem(
        admin.post(url, json={"sku": "ADM-0003", "name": "X", "unit_cost": "-1"}),
        422,
        "bad_product",
    )
    problem(admin.post(url, json={"sku": "ADM-0003", "name": " "}), 422, "bad_product")
    problem(admin.patch(f"{url}NOPE", json={"name": "X"}), 404, "unknown_sku")
    problem(admin.patch(f"{url}ADM-0002", json={"weight_g": -5}), 422, "bad_product")
    problem(admin.patch(f"{url}ADM-0002", json={"barcodes": ["123"]}), 422, "bad_barcode")
    assert admin.get(url, params={"after": "ADM"}).json() == before
    assert _audit(admin, "product.create", "ADM-0003") == []


def test_a_user_gets_a_badge_logs_in_and_once_disabled_is_out_at_once(
    admin: httpx.Client, server: ThreadServer
) -> None:
    r = admin.post(
        "/api/v1/admin/users/",
        json={
            "username": "newpicker",
            "name": "Ana",
            "role": "picker",
            "badge": "B1777",
            "pin": "2468",
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["badge"] == "B1777" and body["has_pin"] and "pin" not in body
    assert "pin_hash" not in r.text
    login = httpx.post(f"{server.url}/api/v1/auth/login", json={"badge": "B1777", "pin": "2468"})
    assert login.status_code == 200, login.text
    with api.client(server.url, login.json()["token"]) as ana:
        assert ana.get("/api/v1/auth/me").json()["username"] == "newpicker"
        r = admin.patch("/api/v1/admin/users/newpicker", json={"active": False})
        assert r.status_code == 200 and r.json()["active"] is False
        problem(ana.get("/api/v1/auth/me"), 401, "expired_token")
    refused = httpx.post(f"{server.url}/api/v1/auth/login", json={"badge": "B1777", "pin": "2468"})
    assert refused.status_code == 401
    r = admin.patch("/api/v1/admin/users/newpicker", json={"active": True, "pin": "1357"})
    assert r.status_code == 200, r.text
    again = httpx.post(f"{server.url}/api/v1/auth/login", json={"badge": "B1777", "pin": "1357"})
    assert again.status_code == 200
    details = [line["detail"] for line in _audit(admin, "user.update", "newpicker")]
    assert details == ["changed=active,pin(reset)", "changed=active"]
    assert _audit(admin, "user.create", "newpicker")[0]["actor"] == "admin"


def test_a_bad_or_duplicate_user_is_refused_and_nothing_is_written(admin: httpx.Client) -> None:
    before = admin.get("/api/v1/admin/users/").json()
    url = "/api/v1/admin/users/"
    problem(admin.post(url, json={"username": "admin", "role": "picker"}), 409, "user_exists")
    problem(
        admin.post(url, json={"username": "u2", "role": "picker", "badge": "B9001", "pin": "1234"}),
        409,
        "badge_taken",
    )
    problem(admin.post(url, json={"username": "u2", "role": "boss"}), 422, "bad_user")
    problem(
        admin.post(url, json={"username": "u2", "role": "picker", "badge": "B1"}), 422, "bad_pin"
    )
    problem(
        admin.post(url, json={"username": "u2", "role": "picker", "pin": "12ab"}), 422, "bad_pin"
    )
    problem(admin.patch(f"{url}nobody", json={"name": "X"}), 404, "unknown_user")
    problem(admin.patch(f"{url}picker1", json={"badge": "B9001"}), 409, "badge_taken")
    problem(admin.patch(f"{url}admin", json={"active": False}), 409, "own_account")
    problem(admin.patch(f"{url}admin", json={"role": "picker"}), 409, "own_account")
    assert admin.get(url).json() == before


def test_a_station_prints_only_on_a_known_printer_that_stays_on_while_it_is_used(
    admin: httpx.Client,
) -> None:
    printers = admin.get("/api/v1/admin/printers/").json()
    assert any("PACK-01" in p["stations"] for p in printers)  # the loaded stations' printers
    r = admin.post(
        "/api/v1/admin/printers/", json={"url": "tcp://127.0.0.1:9555", "name": "Bench 9"}
    )
    assert r.status_code == 201, r.text
    printer = r.json()
    problem(
        admin.post("/api/v1/admin/printers/", json={"url": "tcp://127.0.0.1:9555"}),
        409,
        "printer_exists",
    )
    problem(admin.post("/api/v1/admin/printers/", json={"url": "lpt1"}), 422, "bad_printer")
    stations = admin.get("/api/v1/admin/stations/").json()
    station = {"code": "PACK-09", "name": "Bench 9", "label_printer_url": "tcp://10.9.9.9:9100"}
    problem(admin.post("/api/v1/admin/stations/", json=station), 422, "unknown_printer")
    assert admin.get("/api/v1/admin/stations/").json() == stations  # nothing written
    r = admin.post("/api/v1/admin/stations/", json={**station, "label_printer_url": printer["url"]})
    assert r.status_code == 201, r.text
    problem(
        admin.post(
            "/api/v1/admin/stations/", json={**station, "label_printer_url": printer["url"]}
        ),
        409,
        "station_exists",
    )
    problem(
        admin.patch("/api/v1/admin/stations/PACK-09", json={"label_dpi": 7}), 422, "bad_station"
    )
    problem(admin.patch("/api/v1/admin/stations/NOPE", json={"name": "x"}), 404, "unknown_station")
    url = f"/api/v1/admin/printers/{printer['id']}"
    problem(admin.patch(url, json={"active": False}), 409, "printer_in_use")
    assert (
        admin.patch("/api/v1/admin/stations/PACK-09", json={"active": False}).json()["active"]
        is False
    )
    r = admin.patch(url, json={"active": False, "name": "Bench 9 (broken)"})
    assert r.status_code == 200 and r.json()["active"] is False, r.text
    # A disabled printer is offered to no station.
    problem(
        admin.patch(
            "/api/v1/admin/stations/PACK-09",
            json={"active": True, "label_printer_url": printer["url"]},
        ),
        422,
        "unknown_printer",
    )
    assert _audit(admin, "station.create", "PACK-09")[0]["actor"] == "admin"
    assert _audit(admin, "printer.update", printer["url"])[0]["detail"] == "changed=active,name"


def test_only_an_admin_changes_products_users_printers_and_stations(
    supervisor: httpx.Client,
) -> None:
    for method, url in (
        ("GET", "/api/v1/admin/products/"),
        ("POST", "/api/v1/admin/users/"),
        ("PATCH", "/api/v1/admin/stations/PACK-01"),
        ("GET", "/api/v1/admin/printers/"),
    ):
        problem(supervisor.request(method, url, json={}), 403, "forbidden")
