"""Check digits of shipping identifiers: GS1 mod 10, UPS 1Z, Colissimo, UPU S10, our own."""

from __future__ import annotations

import re

# Letters in a UPS tracking number count as (ord - 3) mod 10 (A=2, B=3 ... I=0 ...).
_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def gs1_check_digit(data: str) -> str:
    """The GS1 mod-10 check digit of ``data`` (all digits, check digit not included)."""
    if not data.isdigit() or not data.isascii():
        raise ValueError(f"GS1 data must be digits: {data!r}")
    # Weights 3, 1, 3, 1 ... from the rightmost data digit.
    total = 3 * sum(map(int, data[-1::-2])) + sum(map(int, data[-2::-2]))
    return str((10 - total % 10) % 10)


def is_valid_gs1(code: str, lengths: tuple[int, ...] = (8, 12, 13, 14, 18)) -> bool:
    """True when ``code`` is a GTIN-8/12/13/14 or SSCC-18 with a right check digit."""
    if len(code) not in lengths or not code.isdigit() or not code.isascii():
        return False
    return gs1_check_digit(code[:-1]) == code[-1]


def is_valid_gtin(code: str) -> bool:
    """True for a GTIN-8, -12, -13 or -14 with its right check digit."""
    return is_valid_gs1(code, (8, 12, 13, 14))


def gtin14(code: str) -> str:
    """A valid GTIN-8/12/13/14 padded to the 14 digits that AI (01) carries."""
    if not is_valid_gtin(code):
        raise ValueError(f"not a valid GTIN: {code!r}")
    return code.zfill(14)


def sscc(extension: int | str, company_prefix: str, serial: int | str) -> str:
    """Build an SSCC-18: extension digit + company prefix + serial reference + check."""
    ext = str(extension)
    if len(ext) != 1 or not ext.isdigit():
        raise ValueError(f"SSCC extension must be one digit: {extension!r}")
    if not company_prefix.isdigit() or not 6 <= len(company_prefix) <= 12:
        raise ValueError(f"GS1 company prefix must be 6-12 digits: {company_prefix!r}")
    width = 16 - len(company_prefix)
    serial_text = str(serial).zfill(width)
    if not serial_text.isdigit() or len(serial_text) != width:
        raise ValueError(f"serial {serial!r} does not fit in {width} digits")
    body = ext + company_prefix + serial_text
    return body + gs1_check_digit(body)


def is_valid_sscc(code: str) -> bool:
    """True for an 18-digit SSCC with its right check digit."""
    return is_valid_gs1(code, (18,))


def ups_check_digit(body: str) -> str:
    """Check digit over the 15 characters after ``1Z`` of a UPS tracking number."""
    body = body.upper()
    if len(body) != 15 or not re.fullmatch(r"[0-9A-Z]{15}", body):
        raise ValueError(f"UPS 1Z body must be 15 letters/digits: {body!r}")
    total = 0
    for i, ch in enumerate(body):
        value = int(ch) if ch.isdigit() else (ord(ch) - 3) % 10
        total += value * 2 if i % 2 == 1 else value
    return str((10 - total % 10) % 10)


def is_valid_ups(tracking: str) -> bool:
    """True for ``1Z`` + 15 characters + the right check digit."""
    t = tracking.upper()
    if len(t) != 18 or not t.startswith("1Z"):
        return False
    try:
        return ups_check_digit(t[2:17]) == t[17]
    except ValueError:
        return False


def colissimo_key(digits: str) -> str:
    """The key of a domestic Colissimo number: GS1 mod 10 over its 10 digits."""
    if len(digits) != 10 or not digits.isdigit():
        raise ValueError(f"Colissimo number needs 10 digits: {digits!r}")
    return gs1_check_digit(digits)


def is_valid_colissimo(code: str) -> bool:
    """True for 2 letters + 10 digits + key, e.g. ``6A20524752032``."""
    m = re.fullmatch(r"([0-9A-Z]{2})(\d{10})(\d)", code.upper())
    return bool(m) and colissimo_key(m.group(2)) == m.group(3)


def s10_check_digit(serial: str) -> str:
    """UPU S10 check digit over the 8-digit serial number."""
    if len(serial) != 8 or not serial.isdigit():
        raise ValueError(f"S10 serial needs 8 digits: {serial!r}")
    r = sum(int(d) * w for d, w in zip(serial, _S10_WEIGHTS, strict=True)) % 11
    key = 11 - r
    return "5" if key == 11 else "0" if key == 10 else str(key)


def s10(service: str, serial: str | int, country: str) -> str:
    """Build a UPU S10 item id: 2 letters + 8 digits + check + ISO country, e.g. RR..FR."""
    serial_text = str(serial).zfill(8)
    if not re.fullmatch(r"[A-Z]{2}", service) or not re.fullmatch(r"[A-Z]{2}", country):
        raise ValueError(f"S10 service and country are 2 capital letters: {service} {country}")
    return service + serial_text + s10_check_digit(serial_text) + country


def is_valid_s10(code: str) -> bool:
    """True for a well-formed UPU S10 identifier with its right check digit."""
    m = re.fullmatch(r"[A-Z]{2}(\d{8})(\d)[A-Z]{2}", code.upper())
    return bool(m) and s10_check_digit(m.group(1)) == m.group(2)


def own_tracking(prefix: str, service_digit: int, serial: int) -> str:
    """A carrier-neutral tracking number: 2 letters + service digit + 10-digit serial + key.

    The key is GS1 mod 10 over the 11 digits, so a mistyped digit is caught like a GTIN's.
    """
    if not re.fullmatch(r"[A-Z]{2}", prefix) or prefix == "1Z":
        raise ValueError(f"tracking prefix must be 2 capital letters: {prefix!r}")
    if not 0 <= service_digit <= 9 or not 0 <= serial < 10**10:
        raise ValueError(f"service digit or serial out of range: {service_digit}, {serial}")
    digits = f"{service_digit}{serial:010d}"
    return prefix + digits + gs1_check_digit(digits)


def is_valid_own_tracking(code: str, prefix: str | None = None) -> bool:
    """True for a number :func:`own_tracking` makes (with ``prefix``, when given)."""
    m = re.fullmatch(r"([A-Z]{2})(\d{11})(\d)", code)
    if not m or (prefix is not None and m.group(1) != prefix):
        return False
    return gs1_check_digit(m.group(2)) == m.group(3)
