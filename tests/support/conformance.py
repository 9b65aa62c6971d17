"""Every JSON answer the suite receives is checked against the server's OpenAPI document.

A response hook of the test clients (`tests.support.api.client`) finds the operation by
method and path template in `/schema/openapi.json` and validates the body against the
schema documented for its status and content type: the code and the document cannot
drift. An answer with no documented schema (an undocumented status, an untyped body, a
JSON answer on a path the document does not know) fails the test that received it.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import httpx
import jsonschema_rs

JSON_TYPES = ("application/json", "application/problem+json")


class Document:
    """The OpenAPI document of one server, with a compiled validator per answer."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.components = doc.get("components", {})
        routes = []
        for template, item in doc["paths"].items():
            pattern = re.compile(
                "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
            )
            routes.append((template.count("{"), -len(template), pattern, item))
        # A literal segment wins over a parameter: /waves/plan before /waves/{wave_id}.
        self.routes = sorted(routes, key=lambda r: (r[0], r[1]))
        self._validators: dict[tuple[str, str, str], Any] = {}

    def operation(self, method: str, path: str) -> dict[str, Any] | None:
        path = path.rstrip("/") or "/"
        for _, _, pattern, item in self.routes:
            if pattern.match(path) and method in item:
                return item[method]
        return None

    def validator(self, op_id: str, status: str, schema: dict[str, Any]) -> Any:
        key = (op_id, status, "")
        found = self._validators.get(key)
        if found is None:
            # The answer's schema with the document's components beside it: refs resolve.
            found = jsonschema_rs.Draft202012Validator({**schema, "components": self.components})
            self._validators[key] = found
        return found

    def problem_validator(self) -> Any:
        return self.validator("", "problem", {"$ref": "#/components/schemas/Problem"})

    def check(self, response: httpx.Response) -> None:
        """Fail loudly if a JSON answer is not what the document says it is."""
        ctype = response.headers.get("content-type", "").split(";")[0].strip()
        if ctype not in JSON_TYPES or not response.content:
            return
        request = response.request
        method, path = request.method.lower(), request.url.path
        body = response.json()
        op = self.operation(method, path)
        where = f"{request.method} {path} -> {response.status_code}"
        if op is None:
            # No route at all: the server's 404 / 405 problem, the same for every path.
            assert response.status_code in (404, 405), f"{where}: path not in the OpenAPI document"
            self._valid(self.problem_validator(), body, where)
            return
        op_id = op.get("operationId", "")
        answer = op.get("responses", {}).get(str(response.status_code))
        assert answer is not None, f"{where}: status not documented for {op_id}"
        schema = (answer.get("content") or {}).get(ctype, {}).get("schema")
        assert schema is not None, f"{where}: {ctype} not documented for {op_id}"
        assert _typed(schema), f"{where}: {op_id} documents no answer shape ({schema})"
        self._valid(self.validator(op_id, str(response.status_code), schema), body, where)

    @staticmethod
    def _valid(validator: Any, body: Any, where: str) -> None:
        errors = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(body)][:5]
        assert not errors, f"{where}: answer differs from the OpenAPI document: {errors}"


def _typed(schema: dict[str, Any]) -> bool:
    """A shape, not "any object": a reference, properties, or items that are typed."""
    if "$ref" in schema or "properties" in schema or "oneOf" in schema or "anyOf" in schema:
        return True
    if schema.get("type") == "array":
        return _typed(schema.get("items") or {})
    return schema.get("type") in ("string", "integer", "number", "boolean", "null")


@functools.cache
def document(base_url: str) -> Document:
    """The document of the server at `base_url`, fetched once per server."""
    r = httpx.get(f"{base_url}/schema/openapi.json", timeout=30)
    r.raise_for_status()
    return _compiled(r.text)


@functools.cache
def _compiled(text: str) -> Document:
    # Every server of the run serves the same document: its validators are compiled once.
    return Document(json.loads(text))


def hook(base_url: str) -> Any:
    def check(response: httpx.Response) -> None:
        response.read()
        document(base_url).check(response)

    return check
