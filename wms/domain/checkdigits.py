"""GS1 mod-10 check digits for GTIN-8/12/13/14 and SSCC-18 (no I/O)."""

from __future__ import annotations


def gs1_check_digit(data: str) -> int:
    """Check digit for the digits before it: weights 3,1,3,... from the right."""
    if not data.isdigit():
        raise ValueError(f"not digits: {data!r}")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(data)))
    return (10 - total % 10) % 10


def is_valid_gtin(code: str) -> bool:
    """True for a GTIN-8, UPC-A (12), EAN-13 or GTIN-14 whose check digit is right."""
    if len(code) not in (8, 12, 13, 14) or not code.isdigit():
        return False
    return gs1_check_digit(code[:-1]) == int(code[-1])


def with_check_digit(data: str) -> str:
    return data + str(gs1_check_digit(data))
