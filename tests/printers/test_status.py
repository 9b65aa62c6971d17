"""~HS answers are parsed into a PrinterStatus, and silence counts as a fault."""

from __future__ import annotations

import pytest

from printers.errors import PrinterError, PrinterFault, PrinterProtocolError, PrinterSilent
from printers.printer import Printer
from printers.status import PrinterStatus, format_host_status, parse_host_status
from printers.transports import MemoryTransport

# A ~HS answer as a ZD420 sends it: head open, 3 labels left in the batch.
ANSWER = (
    b"\x02030,0,0,1218,000,0,0,0,000,0,0,0\x03\r\n"
    b"\x02001,0,1,0,0,2,6,0,00000003,1,000\x03\r\n"
    b"\x021234,0\x03\r\n"
)


def test_the_three_hs_frames_are_parsed_field_by_field():
    status = parse_host_status(ANSWER)
    assert status.head_open and not status.paper_out and not status.paused
    assert status.labels_remaining == 3
    assert status.label_length == 1218
    assert status.print_mode == 2
    assert status.faults == ["head open"]
    assert not status.ready


def test_every_fault_flag_is_named():
    status = PrinterStatus(
        paper_out=True,
        paused=True,
        buffer_full=True,
        head_open=True,
        ribbon_out=True,
        over_temperature=True,
        under_temperature=True,
        corrupt_ram=True,
    )
    assert parse_host_status(format_host_status(status)).faults == [
        "paper out",
        "head open",
        "ribbon out",
        "paused",
        "buffer full",
        "over temperature",
        "under temperature",
        "corrupt RAM",
    ]


def test_a_status_survives_formatting_and_parsing():
    status = PrinterStatus(paper_out=True, formats_in_buffer=2, labels_remaining=7)
    assert parse_host_status(format_host_status(status)) == status


@pytest.mark.parametrize(
    "raw", [b"", b"\x02030,0\x03", b"garbage", ANSWER.replace(b"1218", b"12x8")]
)
def test_an_answer_that_is_not_hs_is_refused(raw):
    with pytest.raises(ValueError):
        parse_host_status(raw)


def answering(status: PrinterStatus) -> MemoryTransport:
    def respond(data: bytes) -> bytes:
        return format_host_status(status) if data == b"~HS" else b""

    return MemoryTransport("memory://zd420", respond)


def test_printing_asks_before_and_after_and_sends_the_label_byte_for_byte():
    transport = answering(PrinterStatus())
    status = Printer(transport).print(b"^XA^FDx^FS^XZ")
    assert transport.writes == [b"~HS", b"^XA^FDx^FS^XZ", b"~HS"]
    assert status is not None and status.ready


def test_a_paper_out_printer_is_reported_as_a_fault_and_gets_no_label():
    transport = answering(PrinterStatus(paper_out=True))
    with pytest.raises(PrinterFault) as caught:
        Printer(transport).print(b"^XA^XZ")
    assert caught.value.reasons == ["paper out"]
    assert caught.value.status is not None and caught.value.status.paper_out
    assert "memory://zd420" in str(caught.value) and "paper out" in str(caught.value)
    assert transport.writes == [b"~HS"]  # the label was not queued inside the printer


def test_a_printer_that_does_not_answer_is_a_fault_not_ready():
    transport = MemoryTransport("memory://mute")
    with pytest.raises(PrinterSilent) as caught:
        Printer(transport, status_timeout=0.1).status()
    assert isinstance(caught.value, PrinterFault)
    assert caught.value.printer == "memory://mute"


def test_a_garbled_answer_is_a_protocol_error_naming_the_printer():
    transport = MemoryTransport("memory://noisy", lambda data: b"\x02x\x03\x02y\x03\x02z\x03")
    with pytest.raises(PrinterProtocolError, match="memory://noisy"):
        Printer(transport).status()


def test_printing_without_a_check_only_sends_the_label():
    transport = MemoryTransport()
    assert Printer(transport).print([b"^XA^XZ", b"^XA^XZ"], check=False) is None
    assert transport.writes == [b"^XA^XZ^XA^XZ"]


def test_every_printer_error_is_a_printer_error():
    assert issubclass(PrinterSilent, PrinterError)
