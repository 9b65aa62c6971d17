"""What each role may do, route by route: the one table the guards and the role-matrix test read.

A route's entry is the set of roles let through; ``PUBLIC`` routes need no token (they are
authenticated otherwise, or not at all). Admins may do everything an API role may, so
``ADMIN`` is in every set but the integration-only ones. A route missing from the table is
refused under ``/api/`` (fail closed) and fails ``tests/api/test_roles_matrix.py``.
"""

from __future__ import annotations

PICKER = "picker"
PACKER = "packer"
SUPERVISOR = "supervisor"
ADMIN = "admin"
INTEGRATION = "integration"
ROLES = (PICKER, PACKER, SUPERVISOR, ADMIN, INTEGRATION)

PUBLIC: frozenset[str] = frozenset({"public"})
ANY_USER = frozenset(ROLES)
FLOOR = frozenset({PICKER, PACKER, SUPERVISOR, ADMIN})
PICKERS = frozenset({PICKER, SUPERVISOR, ADMIN})
PACKERS = frozenset({PACKER, SUPERVISOR, ADMIN})
OFFICE = frozenset({SUPERVISOR, ADMIN})
ADMINS = frozenset({ADMIN})
SHOP = frozenset({INTEGRATION, SUPERVISOR, ADMIN})  # the shop's systems and the office
ORDER_READERS = frozenset({PACKER, INTEGRATION, SUPERVISOR, ADMIN})
ORDER_VIEWERS = ANY_USER

# Prefixes whose every route is public: the API's own documentation.
PUBLIC_PREFIXES = ("/schema",)

ROUTES: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/health"): PUBLIC,
    ("POST", "/webhooks/{channel_code}"): PUBLIC,  # the channel's own signature
    # auth
    ("POST", "/api/v1/auth/login"): PUBLIC,
    ("POST", "/api/v1/auth/logout"): ANY_USER,
    ("GET", "/api/v1/auth/me"): ANY_USER,
    ("POST", "/api/v1/auth/tokens"): ADMINS,
    ("GET", "/api/v1/auth/failed-logins"): OFFICE,
    ("POST", "/api/v1/auth/badges/{badge}/unlock"): OFFICE,
    ("GET", "/api/v1/audit"): OFFICE,
    # stock
    ("POST", "/api/v1/stock/receive"): FLOOR,
    ("POST", "/api/v1/stock/move"): FLOOR,
    ("POST", "/api/v1/stock/adjust"): OFFICE,
    ("POST", "/api/v1/stock/count"): FLOOR,
    ("GET", "/api/v1/stock/counts"): OFFICE,
    ("POST", "/api/v1/stock/counts/{count_id}/approve"): OFFICE,
    ("POST", "/api/v1/stock/counts/{count_id}/reject"): OFFICE,
    ("GET", "/api/v1/stock"): FLOOR,
    ("GET", "/api/v1/stock/moves"): FLOOR,
    ("GET", "/api/v1/stock/putaway"): FLOOR,
    ("GET", "/api/v1/stock/availability/{sku}"): FLOOR,
    # orders (an integration token acts on its own channels only: wms/api/orders.py)
    ("POST", "/api/v1/orders"): SHOP,
    ("POST", "/api/v1/orders/import"): SHOP,
    ("GET", "/api/v1/orders"): ORDER_READERS,
    ("GET", "/api/v1/orders/{order_id}"): ORDER_VIEWERS,
    ("POST", "/api/v1/orders/{order_id}/cancel"): SHOP,
    # waves, batches, exceptions
    ("POST", "/api/v1/waves/plan"): OFFICE,
    ("POST", "/api/v1/waves"): OFFICE,
    ("POST", "/api/v1/waves/{wave_id}/cancel"): OFFICE,
    ("GET", "/api/v1/waves"): OFFICE,
    ("GET", "/api/v1/waves/{wave_id}"): OFFICE,
    ("GET", "/api/v1/batches/{batch_id}"): FLOOR,
    ("GET", "/api/v1/batches/{batch_id}/route.svg"): FLOOR,
    ("GET", "/api/v1/exceptions"): OFFICE,
    ("GET", "/api/v1/exceptions/no-address"): OFFICE,
    ("POST", "/api/v1/exceptions/{exception_id}/resolve"): OFFICE,
    # picking
    ("POST", "/api/v1/picking/next"): PICKERS,
    ("GET", "/api/v1/picking/batches/{batch_id}"): PICKERS,
    ("POST", "/api/v1/picking/batches/{batch_id}/totes"): PICKERS,
    ("POST", "/api/v1/picking/tasks/{task_id}/confirm"): PICKERS,
    ("POST", "/api/v1/picking/tasks/{task_id}/short"): PICKERS,
    ("POST", "/api/v1/picking/tasks/{task_id}/skip"): PICKERS,
    ("POST", "/api/v1/picking/batches/{batch_id}/pause"): PICKERS,
    ("POST", "/api/v1/picking/batches/{batch_id}/resume"): PICKERS,
    ("POST", "/api/v1/picking/batches/{batch_id}/handover"): PICKERS,
    ("POST", "/api/v1/picking/batches/{batch_id}/finish"): PICKERS,
    ("GET", "/api/v1/totes/{code}"): FLOOR,
    ("GET", "/api/v1/scan"): FLOOR,
    # packing, printing
    ("POST", "/api/v1/packing/start"): PACKERS,
    ("POST", "/api/v1/packing/orders/{order_id}/verify"): PACKERS,
    ("POST", "/api/v1/packing/orders/{order_id}/parcels"): PACKERS,
    ("POST", "/api/v1/packing/parcels/{parcel_id}/reprint"): PACKERS,
    ("POST", "/api/v1/packing/scan-and-ship"): PACKERS,
    ("GET", "/api/v1/stations/{code}"): PACKERS,
    ("GET", "/api/v1/print-jobs/{job_id}"): PACKERS,
    ("GET", "/api/v1/print-jobs"): OFFICE,
    ("GET", "/api/v1/printers"): OFFICE,
    # shipping
    ("POST", "/api/v1/manifests"): PACKERS,
    ("GET", "/api/v1/manifests/{manifest_id}"): PACKERS,
    ("POST", "/api/v1/manifests/{manifest_id}/scan"): PACKERS,
    ("POST", "/api/v1/manifests/{manifest_id}/close"): PACKERS,
    ("GET", "/api/v1/parcels/{parcel_id}"): PACKERS,
    # returns
    ("POST", "/api/v1/returns"): PACKERS,
    ("POST", "/api/v1/returns/receive"): PACKERS,
    ("POST", "/api/v1/returns/{return_id}/grade"): PACKERS,
    ("GET", "/api/v1/returns/{return_id}"): PACKERS,
    ("POST", "/api/v1/returns/channel"): SHOP,
    ("POST", "/api/v1/waves/previews/{preview_id}/release"): OFFICE,
    # tracking after the handover
    ("GET", "/api/v1/parcels/{parcel_id}/tracking"): PACKERS,
    ("POST", "/api/v1/tracking/poll"): OFFICE,
    ("POST", "/webhooks/tracking/{carrier}"): PUBLIC,  # the carrier account's own signature
    ("GET", "/track/{number}"): PUBLIC,  # the buyer's page: it asks for the postal code first
    # reports (the console's figures as JSON)
    ("GET", "/api/v1/reports/floor"): OFFICE,
    ("GET", "/api/v1/reports/throughput"): OFFICE,
    ("GET", "/api/v1/reports/exceptions"): OFFICE,
    ("GET", "/api/v1/reports/margin"): OFFICE,
    ("GET", "/api/v1/reports/work"): OFFICE,
    ("GET", "/api/v1/reports/work.csv"): OFFICE,
    # the site's channels and listings, changed while the warehouse runs
    ("GET", "/api/v1/admin/carriers"): ADMINS,
    ("GET", "/api/v1/admin/channels"): ADMINS,
    ("POST", "/api/v1/admin/channels"): ADMINS,
    ("PATCH", "/api/v1/admin/channels/{code}"): ADMINS,
    ("GET", "/api/v1/admin/channels/{code}/listings"): ADMINS,
    ("PUT", "/api/v1/admin/channels/{code}/listings/{sku}"): ADMINS,
    ("DELETE", "/api/v1/admin/channels/{code}/listings/{sku}"): ADMINS,
    # products, users and badges, printers and stations, changed while the warehouse runs
    ("GET", "/api/v1/admin/products"): ADMINS,
    ("POST", "/api/v1/admin/products"): ADMINS,
    ("GET", "/api/v1/admin/products/{sku}"): ADMINS,
    ("PATCH", "/api/v1/admin/products/{sku}"): ADMINS,
    ("GET", "/api/v1/admin/users"): ADMINS,
    ("POST", "/api/v1/admin/users"): ADMINS,
    ("PATCH", "/api/v1/admin/users/{username}"): ADMINS,
    ("GET", "/api/v1/admin/printers"): ADMINS,
    ("POST", "/api/v1/admin/printers"): ADMINS,
    ("PATCH", "/api/v1/admin/printers/{printer_id}"): ADMINS,
    ("GET", "/api/v1/admin/stations"): ADMINS,
    ("POST", "/api/v1/admin/stations"): ADMINS,
    ("PATCH", "/api/v1/admin/stations/{code}"): ADMINS,
    # the console: people sign in with a session cookie, and wms.web's gate reads these
    ("GET", "/ui/login"): PUBLIC,
    ("POST", "/ui/login"): PUBLIC,  # still CSRF-checked
    ("GET", "/ui/static/{file_path}"): PUBLIC,
    ("HEAD", "/ui/static/{file_path}"): PUBLIC,
    ("POST", "/ui/logout"): OFFICE,
    ("GET", "/ui"): OFFICE,
    ("GET", "/ui/events"): OFFICE,
    ("GET", "/ui/throughput"): OFFICE,
    ("GET", "/ui/exceptions"): OFFICE,
    ("POST", "/ui/exceptions/batches/{batch_id}/reassign"): OFFICE,
    ("POST", "/ui/exceptions/batches/{batch_id}/release"): OFFICE,
    ("POST", "/ui/exceptions/orders/{order_id}/cancel"): OFFICE,
    ("POST", "/ui/exceptions/orders/{order_id}/reserve"): OFFICE,
    ("POST", "/ui/exceptions/prints/{job_id}/elsewhere"): OFFICE,
    ("POST", "/ui/exceptions/prints/{job_id}/reprint"): OFFICE,
    ("POST", "/ui/exceptions/shorts/{exception_id}/resolve"): OFFICE,
    ("POST", "/ui/exceptions/shorts/{exception_id}/reallocate"): OFFICE,
    ("POST", "/ui/exceptions/shorts/{exception_id}/cancel-line"): OFFICE,
    ("POST", "/ui/exceptions/counts/{count_id}/approve"): OFFICE,
    ("POST", "/ui/exceptions/counts/{count_id}/reject"): OFFICE,
    ("GET", "/ui/security"): OFFICE,
    ("POST", "/ui/security/badges/{badge}/unlock"): OFFICE,
    ("POST", "/ui/security/users/{username}/unlock"): OFFICE,
    ("GET", "/ui/orders"): OFFICE,
    ("GET", "/ui/orders/{order_id}"): OFFICE,
    ("GET", "/ui/products/{sku}"): OFFICE,
    ("GET", "/ui/waves"): OFFICE,
    ("POST", "/ui/waves/preview"): OFFICE,
    ("POST", "/ui/waves/release"): OFFICE,
    ("POST", "/ui/waves/{wave_id}/cancel"): OFFICE,
    ("GET", "/ui/batches/{batch_id}/route.svg"): OFFICE,
    ("GET", "/ui/margins"): OFFICE,
    ("GET", "/ui/margins/orders"): OFFICE,
    ("GET", "/ui/margins/table.csv"): OFFICE,
    # the admin pages (wms/web/admin.py)
    ("GET", "/ui/admin"): ADMINS,
    ("GET", "/ui/admin/products"): ADMINS,
    ("POST", "/ui/admin/products"): ADMINS,
    ("GET", "/ui/admin/products/{sku}"): ADMINS,
    ("POST", "/ui/admin/products/{sku}"): ADMINS,
    ("GET", "/ui/admin/users"): ADMINS,
    ("POST", "/ui/admin/users"): ADMINS,
    ("GET", "/ui/admin/users/{username}"): ADMINS,
    ("POST", "/ui/admin/users/{username}"): ADMINS,
    ("GET", "/ui/admin/floor"): ADMINS,
    ("POST", "/ui/admin/printers"): ADMINS,
    ("POST", "/ui/admin/printers/{printer_id}"): ADMINS,
    ("POST", "/ui/admin/stations"): ADMINS,
    ("POST", "/ui/admin/stations/{code}"): ADMINS,
    ("GET", "/ui/admin/channels"): ADMINS,
    ("POST", "/ui/admin/channels/{code}"): ADMINS,
    ("GET", "/ui/admin/listings"): ADMINS,
    ("POST", "/ui/admin/listings"): ADMINS,
    ("POST", "/ui/admin/listings/{code}/{sku}"): ADMINS,
}
CONSOLE_PREFIX = "/ui"  # session-cookie routes: their gate is wms.web's, reading this table


def allowed(method: str, path_template: str) -> frozenset[str] | None:
    """The roles let through ``method path_template``; None when the table does not know it."""
    if path_template.startswith(PUBLIC_PREFIXES):
        return PUBLIC
    return ROUTES.get((method.upper(), path_template.rstrip("/") or "/"))


def is_public(method: str, path_template: str) -> bool:
    return allowed(method, path_template) == PUBLIC


def markdown_table() -> str:
    """The table as Markdown, for ``docs/security.md`` (``python -m wms.api.roles``)."""
    head = "| route | " + " | ".join(ROLES) + " |"
    rows = [head, "|---|" + "---|" * len(ROLES)]
    rows.append(f"| `{PUBLIC_PREFIXES[0]}…` (API documentation) |" + " public |" * len(ROLES))
    for (method, path), entry in sorted(ROUTES.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        cells = ["public" if entry == PUBLIC else ("yes" if r in entry else "–") for r in ROLES]
        rows.append(f"| `{method} {path}` | " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
