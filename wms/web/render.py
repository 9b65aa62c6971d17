"""What every console page shares: the page's template with its common context, the database."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template

from wms.domain.waves import DEFAULT_RULES
from wms.models.common import utcnow
from wms.services import site
from wms.services.auth import Principal
from wms.web import session as sess


def page(request: Request, name: str, **ctx: Any) -> Template:
    user = request.scope.get("user")
    ctx |= {
        "csrf": sess.load(request).csrf,
        "user": user if isinstance(user, Principal) else None,
        "now": utcnow(),
        "defaults": DEFAULT_RULES,  # the planner's defaults fill the wave form
    }
    if "hx-request" in request.headers and "hx-boosted" not in request.headers:
        name = f"fragments/{name}"
    return Template(template_name=name, context=ctx)


def database(request: Request) -> Any:
    return request.app.state.db


async def geometry(request: Request) -> Any:
    """The loaded site's walking geometry (planning, re-allocation)."""
    return (await site.current_layout(database(request))).geometry
