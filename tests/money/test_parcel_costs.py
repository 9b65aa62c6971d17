"""A parcel's shipping cost is the carrier's rate for its label, split over its lines by
weight, beside its carton's cost; the generic carrier's rate table is the site's to set."""
# ruff: noqa: F811  (pytest fixtures are imported from tests.floor.shipping_fixtures)

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.floor.shipping_fixtures import (  # noqa: F401  (fixtures)
    db,
    docs_dir,
    floor,
    no_violations,
    pack,
    packer,
    picked_order,
    printer,
)
from wms.carriers import registry
from wms.carriers.generic import GenericCarrier
from wms.db import reads
from wms.models import CartonType, OrderLine, Product
from wms.models.money import MoneyFact


@reads
def _parcel_facts(s: Session, order_id: int) -> list[tuple[str, str, str, int, D]]:
    rows = s.execute(
        select(MoneyFact.kind, MoneyFact.source, MoneyFact.currency, Product.weight_g,
               OrderLine.qty, MoneyFact.amount_e4)
        .join(OrderLine, OrderLine.id == MoneyFact.line_id)
        .join(Product, Product.id == OrderLine.product_id)
        .where(MoneyFact.order_id == order_id, MoneyFact.kind.in_(("shipping", "packaging")))
    )  # fmt: skip
    return sorted(
        (kind, src, cur, int(w) * int(q), D(e4).scaleb(-4)) for kind, src, cur, w, q, e4 in rows
    )


@reads
def _carton_cost(s: Session, code: str) -> D:
    return D(s.execute(select(CartonType.cost).where(CartonType.code == code)).scalar_one())


async def test_a_packed_parcel_costs_the_carriers_rate_split_by_weight_and_its_carton(
    packer, db
) -> None:
    order_id = await picked_order(db, [("SKU-0002", 2), ("SKU-0003", 1)])
    view = packer.post(
        "/api/v1/packing/start", json={"station": "PACK-01", "scan": str(order_id)},
        headers={"Idempotency-Key": f"start-{order_id}"},
    ).json()  # fmt: skip
    scans = [line["barcodes"][0] for line in view["lines"] for _ in range(line["qty"])]
    carton = view["suggested_carton"]
    pack(packer, order_id, scans, carton=carton, weight=1900, start=False)
    facts = await db.run(_parcel_facts, order_id)
    shipping = [f for f in facts if f[0] == "shipping"]
    packaging = [f for f in facts if f[0] == "packaging"]
    # 1900 g is the generic carrier's 1-2 kg band: 5.40 (DEFAULT_RATES), in the books' USD.
    assert {(src, cur) for _, src, cur, _, _ in shipping} == {("carrier_rate", "USD")}
    assert sum(amount for *_, amount in shipping) == D("5.40")
    assert sum(amount for *_, amount in packaging) == await db.run(_carton_cost, carton)
    # The heavier line carries the larger share, each within a cent of its weight's part.
    total_weight = sum(w for _, _, _, w, _ in shipping)
    for *_, weight, amount in shipping:
        assert abs(amount - D("5.40") * weight / total_weight) < D("0.01")
    await no_violations(db)


@pytest.mark.parametrize(
    ("weight", "price"), [(1, "3.90"), (1000, "3.90"), (1001, "5.40"), (30000, "17.00"),
                          (45000, "17.00")]
)  # fmt: skip
def test_the_generic_carrier_prices_a_parcel_by_its_weight_band(weight: int, price: str) -> None:
    assert GenericCarrier().rate(weight) == D(price)


def test_a_site_sets_the_generic_carriers_rates_and_a_bad_table_is_refused() -> None:
    def generic(rates: Any) -> GenericCarrier:
        return registry.parse({"generic": {"rates": rates}}, {}).generic

    site = generic([[5000, "6.00"], [500, "2.50"]])
    assert site.rates == ((500, D("2.50")), (5000, D("6.00")))
    assert site.rate(400) == D("2.50") and site.rate(9000) == D("6.00")
    assert generic([]).rate(100) is None  # no rates: no shipping cost, never a made-up one
    for bad in ([[500, "-1"]], [["heavy", "1.00"]], "3.90"):
        with pytest.raises(registry.CarrierConfigError):
            generic(bad)
