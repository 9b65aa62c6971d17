"""CSV order import: one row per order line, grouped by order_id, all-or-nothing.

Columns (header row required, order free, names case-insensitive):

    required  order_id, sku, qty (integer > 0), unit_price (≥ 0, dot decimal), currency (ISO 4217)
    optional  name, address1, address2, city, region, postal_code, country (ISO 3166 alpha-2),
              phone, email, ship_by (ISO 8601 date or datetime; a date means 23:59:59 UTC
              that day, a datetime without offset is UTC), priority (integer 0–9),
              carrier, service, reference, note, line_name, discount

Order-level columns (everything except sku, qty, unit_price, line_name, discount) may be
repeated on each row of an order or given once; two different non-empty values for the
same order are an error. Every bad row is reported (row 1 is the header); nothing is
returned unless the whole file is good.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation

from wms.channels.common import CURRENCY_RE, merge_lines
from wms.channels.errors import CsvImportError, RowError
from wms.domain.bounds import MAX_MONEY, AmountOutOfRange, money_in_range
from wms.domain.orders import Address, ChannelKind, OrderIn, OrderLineIn, OrderStatus

REQUIRED = ("order_id", "sku", "qty", "unit_price", "currency")
LINE_COLUMNS = {"sku", "qty", "unit_price", "line_name", "discount"}
ADDRESS_COLUMNS = {
    "name": "name",
    "address1": "line1",
    "address2": "line2",
    "city": "city",
    "region": "region",
    "postal_code": "postal_code",
    "country": "country",
    "phone": "phone",
    "email": "email",
}
ORDER_COLUMNS = {
    "currency",
    "ship_by",
    "priority",
    "carrier",
    "service",
    "reference",
    "note",
    *ADDRESS_COLUMNS,
}
MAX_ROWS = 100_000


@dataclass
class _Draft:
    first_row: int
    fields: dict[str, str] = field(default_factory=dict)
    lines: list[OrderLineIn] = field(default_factory=list)


def _ship_by(value: str) -> datetime:
    if len(value) == 10:
        return datetime.combine(date.fromisoformat(value), time(23, 59, 59), UTC)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _line(row: dict[str, str], n: int, errors: list[RowError]) -> OrderLineIn | None:
    bad = len(errors)
    sku = row.get("sku", "")
    if not sku:
        errors.append(RowError(n, "sku", "is empty"))
    qty = 0
    try:
        qty = int(row.get("qty", ""))
        if qty <= 0:
            errors.append(RowError(n, "qty", "must be > 0"))
    except ValueError:
        errors.append(RowError(n, "qty", f"not an integer: {row.get('qty', '')!r}"))
    money: dict[str, Decimal] = {}
    for column, default in (("unit_price", None), ("discount", "0")):
        raw = row.get(column) or default
        try:
            value = money_in_range(Decimal(raw or ""), column)
            if value < 0:
                raise InvalidOperation
            money[column] = value
        except (InvalidOperation, AmountOutOfRange):
            errors.append(RowError(n, column, f"not an amount 0 to {MAX_MONEY:,}: {raw!r}"))
    if len(errors) > bad:
        return None
    return OrderLineIn(
        sku=sku,
        qty=qty,
        unit_price=money["unit_price"],
        name=row.get("line_name", ""),
        discount=money["discount"],
        channel_product_ref=sku,
    )


def _check_order_fields(fields: dict[str, str], n: int, errors: list[RowError]) -> None:
    if not CURRENCY_RE.match(fields.get("currency", "")):
        errors.append(RowError(n, "currency", f"not a 3-letter code: {fields.get('currency')!r}"))
    country = fields.get("country", "")
    if country and (len(country) != 2 or not country.isalpha() or not country.isupper()):
        errors.append(RowError(n, "country", f"not an ISO alpha-2 code: {country!r}"))
    if fields.get("ship_by"):
        try:
            _ship_by(fields["ship_by"])
        except ValueError:
            errors.append(RowError(n, "ship_by", f"not an ISO date: {fields['ship_by']!r}"))
    if fields.get("priority"):
        try:
            if not 0 <= int(fields["priority"]) <= 9:
                raise ValueError
        except ValueError:
            errors.append(RowError(n, "priority", "must be an integer 0–9"))


def parse_orders_csv(data: str | bytes) -> list[OrderIn]:
    """Parse the whole file or raise ``CsvImportError`` listing every bad row."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")  # Excel writes a BOM
        except UnicodeDecodeError as exc:
            raise CsvImportError([RowError(0, "", f"not UTF-8: {exc}")]) from exc
    data = data.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(data, newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CsvImportError([RowError(1, c, "column missing") for c in missing])
    known = set(LINE_COLUMNS) | ORDER_COLUMNS | {"order_id"}
    unknown = [h for h in header if h not in known]
    if unknown or len(set(header)) != len(header):
        raise CsvImportError([RowError(1, ",".join(unknown), "unknown or repeated column")])

    errors: list[RowError] = []
    drafts: dict[str, _Draft] = {}
    for index, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue  # blank lines, common at the end of hand-made files
        if index > MAX_ROWS:
            errors.append(RowError(index, "", f"more than {MAX_ROWS} rows"))
            break
        if len(cells) != len(header):
            errors.append(RowError(index, "", f"{len(cells)} cells, header has {len(header)}"))
            continue
        row = {h: c.strip() for h, c in zip(header, cells, strict=True)}
        order_id = row["order_id"]
        if not order_id:
            errors.append(RowError(index, "order_id", "is empty"))
            continue
        draft = drafts.setdefault(order_id, _Draft(index))
        for column in ORDER_COLUMNS & row.keys():
            value = row[column]
            if not value:
                continue
            if column == "currency":
                value = value.upper()
            seen = draft.fields.setdefault(column, value)
            if seen != value:
                errors.append(RowError(index, column, f"{value!r} differs from {seen!r}"))
        line = _line(row, index, errors)
        if line:
            draft.lines.append(line)

    for draft in drafts.values():
        _check_order_fields(draft.fields, draft.first_row, errors)
    if errors:
        raise CsvImportError(sorted(errors, key=lambda e: e.row))
    if not drafts:
        raise CsvImportError([RowError(2, "", "no orders in the file")])
    return [_order(order_id, draft) for order_id, draft in drafts.items()]


def _order(order_id: str, draft: _Draft) -> OrderIn:
    f = draft.fields
    lines = merge_lines(draft.lines)
    subtotal = sum((line.unit_price * line.qty - line.discount for line in lines), Decimal(0))
    return OrderIn(
        channel_kind=ChannelKind.OWN,
        external_id=order_id,
        status=OrderStatus.READY,
        currency=f["currency"],
        lines=lines,
        reference=f.get("reference", order_id),
        ship_by=_ship_by(f["ship_by"]) if f.get("ship_by") else None,
        priority=int(f.get("priority") or 0),
        carrier=f.get("carrier", ""),
        service=f.get("service", ""),
        ship_to=Address(**{attr: f.get(col, "") for col, attr in ADDRESS_COLUMNS.items()}),
        subtotal=subtotal,
        total=subtotal,
        channel_status="csv",
        note=f.get("note", ""),
    )
