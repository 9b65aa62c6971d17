"""`/schema`: the OpenAPI document as the server really answers, and a page that needs no internet.

The page is Swagger UI with its scripts and styles served from the installed
`swagger-ui-bundle` package (a warehouse network often has no way out to a CDN). The
document is completed after Litestar builds it: every error answer is the problem JSON
the server sends (not Litestar's own validation body), the bearer scheme and the
`Idempotency-Key` header are listed, and integer path ids carry the id column's range.
"""

from __future__ import annotations

from litestar import Litestar, Router
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import (
    Components,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Parameter,
    Reference,
    Schema,
    SecurityScheme,
)
from litestar.openapi.spec.enums import OpenAPIType
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router
from swagger_ui_bundle import swagger_ui_path

from wms.api.idempotency import MAX_KEY_CHARS, MUTATING
from wms.api.problems import PROBLEM_JSON
from wms.api.security import PUBLIC_PATHS
from wms.domain.bounds import MAX_ID

ASSETS = "/schema/assets"
_ERRORS = {
    400: "Bad request: malformed or invalid body, query or header",
    401: "No valid bearer token (or, on webhooks, no valid signature)",
    403: "The caller's role may not do this",
    404: "Not found",
    405: "Method not allowed (see the Allow header)",
    409: "The state does not allow it now (or the same request is still running)",
    413: "Body too large",
    415: "Wrong content type",
    422: "Valid request that the warehouse refuses (a stable code says why)",
    429: "Too many requests",
    502: "A carrier or channel refused the call (a stable code says why)",
    503: "A carrier or channel could not be reached: retry later",
}


class LocalSwagger(SwaggerRenderPlugin):
    """Swagger UI whose every script, style and icon comes from this server."""

    def __init__(self) -> None:
        super().__init__(
            js_url=f"{ASSETS}/swagger-ui-bundle.js",
            css_url=f"{ASSETS}/swagger-ui.css",
            standalone_preset_js_url=f"{ASSETS}/swagger-ui-standalone-preset.js",
            favicon=f"<link rel='icon' type='image/png' href='{ASSETS}/favicon-32x32.png'>",
            path="/swagger",
        )

    def receive_router(self, router: Router) -> None:
        router.register(
            create_static_files_router(
                path="/assets", directories=[swagger_ui_path], include_in_schema=False
            )
        )


def config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="WMS",
        version="0.1.0",
        path="/schema",
        render_plugins=[LocalSwagger()],
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(
                    type="http",
                    scheme="bearer",
                    description="a login token (badge + PIN) or an integration's API token",
                )
            }
        ),
    )


def _problem_schema() -> Schema:
    text = Schema(type=OpenAPIType.STRING)
    return Schema(
        type=OpenAPIType.OBJECT,
        description="RFC 9457 problem details with a stable code",
        required=["type", "title", "status", "code", "detail"],
        properties={
            "type": text,
            "title": Schema(type=OpenAPIType.STRING, max_length=20),
            "status": Schema(type=OpenAPIType.INTEGER),
            "code": Schema(type=OpenAPIType.STRING, pattern=r"^[a-z][a-z0-9_]*$"),
            "detail": text,
            "instance": text,
        },
    )


def _is_public(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in PUBLIC_PATHS)


def document(app: Litestar) -> None:
    """Complete the OpenAPI document Litestar built from the routes (see the module doc)."""
    openapi = app.plugins.get(OpenAPIPlugin).provide_openapi()
    components = openapi.components
    components.schemas = {**(components.schemas or {}), "Problem": _problem_schema()}
    problem_ref = Reference(ref="#/components/schemas/Problem")
    idempotent: dict[tuple[str, str], bool] = {}
    also: dict[tuple[str, str], str] = {}  # another media type the 200 answer may take
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                for method in handler.http_methods:
                    where = (route.path_format, method.lower())
                    idempotent[where] = bool(handler.opt.get("idempotent"))
                    if handler.opt.get("also_media_type"):
                        also[where] = handler.opt["also_media_type"]
    for path, item in (openapi.paths or {}).items():
        public = _is_public(path)
        for method in ("get", "put", "post", "patch", "delete"):
            operation: Operation | None = getattr(item, method)
            if operation is None:
                continue
            _bound_path_ids(operation)
            if not public:
                operation.security = [{"bearer": []}]
            if method.upper() in MUTATING and not public:
                required = idempotent.get((path, method), False)
                operation.parameters = [*(operation.parameters or []), _key_header(required)]
            responses = dict(operation.responses or {})
            ok = responses.get("200")
            if (path, method) in also and isinstance(ok, OpenAPIResponse) and ok.content:
                text = Schema(type=OpenAPIType.STRING)
                ok.content[also[(path, method)]] = OpenAPIMediaType(schema=text)
            for status, description in _ERRORS.items():
                headers = {"Allow": OpenAPIHeader(schema=Schema(type=OpenAPIType.STRING))}
                responses[str(status)] = OpenAPIResponse(
                    description=description,
                    content={PROBLEM_JSON: OpenAPIMediaType(schema=problem_ref)},
                    headers=headers if status == 405 else None,
                )
            operation.responses = responses


def _bound_path_ids(operation: Operation) -> None:
    for param in operation.parameters or []:
        if (
            isinstance(param, Parameter)
            and param.param_in == "path"
            and isinstance(param.schema, Schema)
            and param.schema.type == OpenAPIType.INTEGER
        ):
            # Beyond the id columns no row can exist (the server answers 404, see limits).
            param.schema.minimum, param.schema.maximum = 0, MAX_ID


def _key_header(required: bool) -> Parameter:
    return Parameter(
        name="Idempotency-Key",
        param_in="header",
        required=required,
        description="retry key: a replay returns the first answer and changes nothing",
        schema=Schema(type=OpenAPIType.STRING, min_length=1, max_length=MAX_KEY_CHARS),
    )
