"""`wms site init DIR`: a small, commented starter site for a merchant to make their own."""
# ruff: noqa: E501  (the starter files are data, their lines as a merchant reads them)

from __future__ import annotations

from pathlib import Path

README = """\
# Your warehouse site

Edit these files, then:

    wms site check .     # lists every problem with file, line and column; touches no database
    wms db upgrade       # once, to create the tables (WMS_DATABASE_URL chooses the database)
    wms load .           # applies the site in one transaction; run it again after each edit

Required: layout.json and products.csv. Every other file is optional: leave it out and
nothing of that kind is loaded (a reload never deletes what an absent file would name).
In the CSV files a line starting with # is a comment; in the JSON files a key starting
with _ is a comment.

- layout.json: the rack (aisles, blocks of bays, levels) and the other areas (pack
  stations, staging, docks, returns, quarantine, floor reserve). Rack codes read
  A03-12-2: zone and aisle, bay, level. Routes and pick paths are planned on it.
- products.csv: sku and name are required; dimensions (mm), weight (g), unit cost,
  lot_tracked, expiry_tracked and barcode are optional. A Shopify product export
  (Handle, Variant SKU, Variant Barcode, Variant Grams, Cost per item) works as it is.
- barcodes.csv: more barcodes per product (inner packs and cases with pack_qty).
  GTINs (EAN-8/13, UPC-A, ITF-14) are checked for their check digit.
- stock.csv: opening stock per location (lot and expiry for tracked products). A reload
  receives only lines whose product, location and lot hold no stock yet.
- cartons.json, users.json, stations.json, channels.json, listings.csv: carton types,
  people (role, badge, PIN), pack stations and their printers, sales channels and which
  of their products are ours.
- carriers.json: the sender printed on labels and slips, the site's own generic carrier
  (its name and tracking-number prefix), and carrier accounts (karrio) whose credentials
  are named variables, never written here. Their values come from the environment or
  from the secrets file carriers.json names ("secrets_file": "../wms-secrets/carriers.env",
  relative to this folder or absolute; NAME=value lines): keep that file outside the
  repository. A variable set in the environment wins over the file. `wms site check`
  names a missing secrets file or key; a running server takes the carriers of each
  `wms load` for its next label, no restart needed.
"""

LAYOUT = """\
{
  "_comment": "Metres throughout. The front cross aisle is at y = 0; the depot is where every pick route starts and ends.",
  "name": "My warehouse",
  "units": "m",
  "_check_salt": "A secret of the site: the two-digit check codes on shelf labels derive from it. Change it before printing labels.",
  "check_salt": "change-me-before-printing-labels",
  "pick_area": {
    "aisles": 4,
    "first_aisle_x": 3.0,
    "aisle_spacing": 3.0,
    "cross_aisle_width": 2.0,
    "bay_width": 1.2,
    "_blocks": "Blocks of bays from front to back, a cross aisle between each.",
    "blocks": [{"bays_per_side": 8}, {"bays_per_side": 8}],
    "pick_levels": [1, 2],
    "reserve_levels": [3]
  },
  "zones": [{"code": "A", "name": "Main", "first_aisle": 1, "last_aisle": 4}],
  "depot": {"x": 1.0},
  "areas": [
    {"kind": "pack", "zone": "P", "prefix": "PACK", "count": 2, "x": 4.0, "y": -5.0, "dx": 3.0, "dy": 0.0},
    {"kind": "staging", "zone": "S", "prefix": "STAGE", "count": 2, "x": 12.0, "y": -5.0, "dx": 2.0, "dy": 0.0},
    {"kind": "dock", "zone": "D", "prefix": "DOCK", "count": 1, "x": 16.0, "y": -8.0},
    {"kind": "returns", "zone": "R", "prefix": "RET", "count": 1, "x": 18.0, "y": -5.0},
    {"kind": "quarantine", "zone": "Q", "prefix": "QUAR", "count": 1, "x": 20.0, "y": -5.0}
  ]
}
"""

PRODUCTS = """\
# sku and name are required; every other column is optional (0, false, or empty).
# Weight in grams, dimensions in millimetres, unit_cost in your reporting currency.
sku,name,length_mm,width_mm,height_mm,weight_g,unit_cost,lot_tracked,expiry_tracked,barcode
TEE-BLK-M,Black tee M,300,250,20,180,4.20,false,false,4001234000015
SERUM-30,Vitamin serum 30 ml,40,40,110,90,3.10,true,true,4001234000022
MUG-WHT,White mug,120,90,100,350,2.05,,,4001234000039
"""

BARCODES = """\
# More barcodes per product: a case of 6 mugs scans as 6 units.
value,sku,pack_qty,symbology
14001234000012,MUG-WHT,6,ITF14
"""

STOCK = """\
# Opening stock. Locations come from layout.json; lot and expiry (YYYY-MM-DD) for tracked products.
sku,location,qty,lot,expiry
TEE-BLK-M,A01-01-1,40,,
SERUM-30,A01-03-1,25,L2401,2027-06-30
MUG-WHT,A02-02-1,30,,
MUG-WHT,A02-02-3,60,,
"""

CARTONS = """\
[
  {"_comment": "Inner dimensions in mm; cost per carton in your reporting currency.",
   "code": "BOX-S", "name": "Box 25x18x10", "length_mm": 250, "width_mm": 180, "height_mm": 100,
   "max_weight_g": 5000, "tare_g": 130, "cost": "0.45"},
  {"code": "MAILER", "name": "Poly mailer", "length_mm": 380, "width_mm": 300, "height_mm": 60,
   "max_weight_g": 2000, "tare_g": 30, "cost": "0.20"}
]
"""

USERS = """\
[
  {"_comment": "Roles: picker, packer, supervisor, admin, integration. Change these PINs.",
   "username": "admin", "name": "Administrator", "role": "admin", "badge": "B9001", "pin": "9999"},
  {"username": "picker1", "name": "Picker 1", "role": "picker", "badge": "B1001", "pin": "1234"},
  {"username": "packer1", "name": "Packer 1", "role": "packer", "badge": "B2001", "pin": "1234"}
]
"""

STATIONS = """\
{
  "_comment": "A station's code is also its pack location in layout.json. Printers are URLs: tcp://host:9100, cups://queue, file:dir.",
  "stations": [
    {"code": "PACK-01", "name": "Pack station 1", "label_printer_url": "tcp://127.0.0.1:9100",
     "document_printer_url": "file:var/documents/PACK-01", "scale_url": "", "label_dpi": 203}
  ]
}
"""

CHANNELS = """\
{
  "_comment": "Each sales channel: kind is tiktok, shopify, woocommerce or own. Buffer units are held back from its sellable quantity.",
  "channels": [
    {"code": "own-shop", "kind": "own", "name": "Own shop", "secret": "replace-with-a-long-random-secret",
     "api_base_url": "", "buffer": 0, "fee_pct": "0", "fee_fixed": "0", "currency": "EUR"}
  ]
}
"""

LISTINGS = """\
# Which of a channel's products is which of ours (for stock pushes).
channel,sku,product_ref,variant_ref
own-shop,TEE-BLK-M,TEE-BLK-M,
own-shop,MUG-WHT,MUG-WHT,
"""

CARRIERS = """\
{
  "_comment": "The sender on every label and slip, and how parcels ship. Orders for a carrier with no configured account ship with the generic carrier under this site's own name and numbers. A karrio account names its credentials by environment variable (credentials_env), never by value: see docs/carriers-and-tracking.md.",
  "_secrets_file": "Where the accounts' credentials are, as NAME=value lines: a path relative to this folder or absolute, outside the repository (e.g. ../wms-secrets/carriers.env). Empty: the environment only. The environment wins over the file.",
  "secrets_file": "",
  "sender": {"name": "Your Warehouse", "lines": ["1 Your Street"], "postal_code": "10115",
             "city": "Berlin", "country": "DE", "phone": ""},
  "generic": {"name": "Your Warehouse", "prefix": "YW"},
  "carriers": []
}
"""

FILES = {
    "README.md": README,
    "layout.json": LAYOUT,
    "products.csv": PRODUCTS,
    "barcodes.csv": BARCODES,
    "stock.csv": STOCK,
    "cartons.json": CARTONS,
    "users.json": USERS,
    "stations.json": STATIONS,
    "channels.json": CHANNELS,
    "listings.csv": LISTINGS,
    "carriers.json": CARRIERS,
}


def init_site(folder: Path) -> list[Path]:
    """Write the starter files; refuse (FileExistsError) to overwrite any of them."""
    folder.mkdir(parents=True, exist_ok=True)
    clash = [name for name in FILES if (folder / name).exists()]
    if clash:
        raise FileExistsError(f"{folder} already has {', '.join(clash)}: nothing written")
    written = []
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    return written
