"""Label printing for the WMS: label model, ZPL/PNG/PDF rendering, printers, simulator.

The server and the terminal use this package; it imports nothing from either.

    from printers import open_printer, render_carrier_label, CarrierLabelData, Address
    zpl = render_carrier_label(data, dpi=203)
    with open_printer("tcp://10.0.0.5:9100") as printer:
        status = printer.print(zpl)          # checks ~HS before and after; raises on faults
"""

from printers.errors import (
    BadPrinterUrl,
    PrinterError,
    PrinterFault,
    PrinterProtocolError,
    PrinterSilent,
    PrinterTimeout,
    PrinterUnreachable,
)
from printers.labels import (
    Address,
    CarrierLabelData,
    LocationLabelData,
    PalletLabelData,
    ProductLabelData,
    ToteLabelData,
    carrier_label,
    location_label,
    pallet_label,
    product_label,
    render_carrier_label,
    render_location_label,
    render_pallet_label,
    render_product_label,
    render_tote_label,
    tote_label,
)
from printers.model import GS1_128, QR, Box, Code128, DataMatrix, Image, Label, Line, Text, mm
from printers.printer import Printer, open_printer, print_label, print_label_async
from printers.status import PrinterStatus
from printers.zpl import render_zpl

__all__ = [
    "Address", "BadPrinterUrl", "Box", "CarrierLabelData", "Code128", "DataMatrix", "GS1_128",
    "Image", "Label", "Line", "LocationLabelData", "PalletLabelData", "Printer", "PrinterError",
    "PrinterFault", "PrinterProtocolError", "PrinterSilent", "PrinterStatus", "PrinterTimeout",
    "PrinterUnreachable", "ProductLabelData", "QR", "Text", "ToteLabelData", "carrier_label",
    "location_label", "mm", "open_printer", "pallet_label", "print_label", "print_label_async",
    "product_label",
    "render_carrier_label", "render_location_label", "render_pallet_label",
    "render_product_label", "render_tote_label", "render_zpl", "tote_label",
]  # fmt: skip
