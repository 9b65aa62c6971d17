"""`/schema` works without internet, and documents what the server really answers."""

from __future__ import annotations

import re

import httpx


def _loaded_urls(html: str) -> list[str]:
    return re.findall(r"""(?:src|href)\s*=\s*['"]([^'"]+)""", html)


def test_the_schema_page_loads_nothing_from_outside_and_its_assets_are_served(anonymous):
    for page in ("/schema", "/schema/swagger"):
        r = anonymous.get(page)
        assert r.status_code == 200, r.text
        urls = _loaded_urls(r.text)
        assert len(urls) >= 3  # the script, the preset, the style (and the icon)
        assert [u for u in urls if "//" in u or not u.startswith("/schema/")] == []
        assert not re.search(r"https?://", r.text.split("<body>")[0])
        for url in urls:
            asset = anonymous.get(url)
            assert asset.status_code == 200, url
            assert len(asset.content) > 500, url
    js = anonymous.get("/schema/assets/swagger-ui-bundle.js")
    assert "javascript" in js.headers["content-type"]
    assert "SwaggerUIBundle" in js.text


def _spec(client: httpx.Client) -> dict:
    r = client.get("/schema/openapi.json")
    assert r.status_code == 200
    return r.json()


def test_error_answers_are_documented_as_the_problem_json_the_server_sends(anonymous):
    spec = _spec(anonymous)
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "code", "detail"} <= set(problem["required"])
    confirm = spec["paths"]["/api/v1/picking/tasks/{task_id}/confirm"]["post"]
    for status in ("400", "401", "403", "404", "409", "413", "422"):
        content = confirm["responses"][status]["content"]
        assert list(content) == ["application/problem+json"], status
    # What is documented is what comes back.
    r = anonymous.post("/api/v1/auth/login", json={"badge": 5})
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/problem+json")
    assert set(problem["required"]) <= set(r.json())


def test_bearer_auth_and_the_retry_key_are_in_the_document(anonymous):
    spec = _spec(anonymous)
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["bearer"]["description"],
    }
    confirm = spec["paths"]["/api/v1/picking/tasks/{task_id}/confirm"]["post"]
    assert confirm["security"] == [{"bearer": []}]
    key = next(p for p in confirm["parameters"] if p["name"] == "Idempotency-Key")
    assert (key["in"], key["required"], key["schema"]["maxLength"]) == ("header", True, 100)
    task_id = next(p for p in confirm["parameters"] if p["name"] == "task_id")
    assert task_id["schema"]["maximum"] == 2**31 - 1
    login = spec["paths"]["/api/v1/auth/login"]["post"]
    assert "security" not in login
    assert all(p["name"] != "Idempotency-Key" for p in login.get("parameters", []))
