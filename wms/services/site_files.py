"""Reads and checks a site folder (layout, catalogue, stock, users, ...) without a database.

Every problem names its file, line and column, so a merchant can fix them all in one go.
In the CSV files a line starting with ``#`` is a comment; in the JSON files a key starting
with ``_`` is a comment (``"_comment": "..."``). Only ``layout.json`` and ``products.csv``
are required; a missing optional file is simply not loaded. The CSV files are read in
`site_csv`, the JSON files in `site_json`, with the pieces of `site_reading`.
"""

from __future__ import annotations

from pathlib import Path

from wms.services import site_csv, site_json
from wms.services.site_reading import (
    OPTIONAL_FILES,
    REQUIRED_FILES,
    Problem,
    Report,
    Site,
    SiteInvalid,
)

__all__ = [
    "OPTIONAL_FILES",
    "REQUIRED_FILES",
    "Problem",
    "Site",
    "SiteInvalid",
    "load_site",
    "read_site",
]


def load_site(folder: Path) -> Site:
    """The site, or SiteInvalid listing every problem."""
    site, problems = read_site(folder)
    if problems:
        raise SiteInvalid(problems)
    return site


def read_site(folder: Path) -> tuple[Site, list[Problem]]:
    folder = Path(folder)
    r = Report()
    site = Site(folder)
    if not folder.is_dir():
        r.add(str(folder), 0, 0, "no such folder")
        return site, r.problems
    for name in REQUIRED_FILES:
        if not (folder / name).is_file():
            r.add(name, 0, 0, "required file is missing")
    site.files = {n for n in REQUIRED_FILES + OPTIONAL_FILES if (folder / n).is_file()}
    if "layout.json" in site.files:
        site_json.read_layout(r, site)
    if "products.csv" in site.files:
        site_csv.read_products(r, site)
    if "barcodes.csv" in site.files:
        site_csv.read_barcodes(r, site)
    if "cartons.json" in site.files:
        site_json.read_cartons(r, site)
    if "users.json" in site.files:
        site_json.read_users(r, site)
    if "stations.json" in site.files:
        site_json.read_stations(r, site)
    if "channels.json" in site.files:
        site_json.read_channels(r, site)
    if "listings.csv" in site.files:
        site_csv.read_listings(r, site)
    if "stock.csv" in site.files:
        site_csv.read_stock(r, site)
    if "carriers.json" in site.files:
        site_json.read_carriers(r, site)
    site_csv.check_unique_barcodes(r, site)
    return site, r.problems
