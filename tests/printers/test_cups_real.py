"""cups:// against a real CUPS: zebra -> lpr -> a private cupsd -> socket backend -> simulator.

No fake ``lpr``/``lpstat`` here (test_other_transports.py has those, for the corner
cases a real scheduler will not produce on demand). A throwaway cupsd
(tests/printers/cups_server.py) runs per module and worker, listening on a Unix socket
in its own temp directory; each test gets a raw queue whose device is
``socket://127.0.0.1:<port>`` of a virtual printer (printers.simulator), and points
the CUPS clients at the private server with ``CUPS_SERVER`` in this process only.

cupsd missing is a failure naming the apt packages, not a skip.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator

import pytest

from printers import Address, CarrierLabelData, open_printer, render_carrier_label
from printers.errors import PrinterUnreachable
from printers.identifiers import sscc
from printers.simulator import PrinterSimulator, SimulatorThread
from tests.printers.cups_server import INSTALL_HINT, CupsServer, cups_tool

_queue_numbers = itertools.count(1)


class RecordingSimulator(PrinterSimulator):
    """The virtual printer, also keeping every byte received on each connection.

    The simulator keeps labels (``^XA``..``^XZ``) and drops what lies between them; this
    shows that CUPS added nothing either (no banner, no PJL, no form feed, no filter).
    """

    def __init__(self) -> None:
        super().__init__(port=0)
        self.streams: list[bytes] = []

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        index = len(self.streams)
        self.streams.append(b"")
        simulator = self

        class Tap:
            async def read(self, n: int = -1) -> bytes:
                chunk = await reader.read(n)
                simulator.streams[index] += chunk
                return chunk

        await super()._converse(Tap(), writer)  # type: ignore[arg-type]


def carrier_zpl(recipient: str = "Hélène Müller", order_ref: str = "#1001") -> bytes:
    """A real carrier label: UTF-8 text, ^FH escapes, GS1-128; ends in ``^XZ\\n``."""
    data = CarrierLabelData(
        sender=Address("Shop SAS", ("12 rue des Docks",), "69007", "Lyon", "FR"),
        recipient=Address(recipient, ("5 avenue Foch ^~_\\",), "75016", "Paris", "FR"),
        carrier="Colissimo",
        service="Domicile",
        routing_code="750 16",
        tracking_number="6A20524752032",
        sscc=sscc(0, "3012345", 42),
        weight_g=780,
        order_ref=order_ref,
        parcel_index=1,
        parcel_count=1,
    )
    return render_carrier_label(data, dpi=203)


@pytest.fixture(scope="module")
def cups() -> Iterator[CupsServer]:
    """One private cupsd for this module (and this xdist worker); always stopped."""
    with CupsServer() as server:
        yield server


@pytest.fixture
def printer_sim() -> Iterator[SimulatorThread]:
    """A recording virtual printer on a free loopback port."""
    thread = SimulatorThread()
    thread.sim = RecordingSimulator()
    with thread as sim:
        yield sim


@pytest.fixture
def queue(
    cups: CupsServer, printer_sim: SimulatorThread, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A raw queue on the private cupsd feeding the simulator; CUPS_SERVER set here only."""
    for name, value in cups.env.items():
        monkeypatch.setenv(name, value)
    name = f"zebra{next(_queue_numbers)}"
    cups.add_raw_queue(name, f"socket://127.0.0.1:{printer_sim.port}")
    yield name
    cups.remove_queue(name)


def test_a_label_printed_through_a_cups_queue_reaches_the_printer_byte_for_byte(
    cups: CupsServer, queue: str, printer_sim: SimulatorThread
) -> None:
    zpl = carrier_zpl()
    with open_printer(f"cups://{queue}") as printer:
        assert printer.print(zpl) is None  # lpr reads nothing back
    assert len(cups.wait_until_done(queue, 1)) == 1
    assert printer_sim.wait_for_labels(1) == [zpl.removesuffix(b"\n")]
    assert printer_sim.sim.streams == [zpl]  # one connection, exactly the job's bytes


def test_several_jobs_on_one_cups_printer_arrive_in_order_each_on_its_own_connection(
    cups: CupsServer, queue: str, printer_sim: SimulatorThread
) -> None:
    first, second = carrier_zpl(order_ref="#1"), carrier_zpl(order_ref="#2")
    both = [carrier_zpl(order_ref="#3"), carrier_zpl(order_ref="#4")]
    with open_printer(f"cups://{queue}") as printer:
        printer.print(first)
        printer.print(second)
        printer.print(both)  # several labels, one job
    cups.wait_until_done(queue, 3)
    assert printer_sim.wait_for_labels(4) == [z.removesuffix(b"\n") for z in [first, second, *both]]
    assert printer_sim.sim.streams == [first, second, b"".join(both)]


def test_a_cups_queue_name_is_case_insensitive_as_in_cups(
    cups: CupsServer, queue: str, printer_sim: SimulatorThread
) -> None:
    zpl = carrier_zpl()
    with open_printer(f"cups://{queue.upper()}") as printer:
        printer.print(zpl)  # lpstat -p ZEBRA1 answers "printer zebra1 is idle."
    cups.wait_until_done(queue, 1)
    assert printer_sim.sim.streams == [zpl]


def test_an_unknown_cups_queue_is_a_typed_error_naming_the_printer(
    cups: CupsServer, queue: str, printer_sim: SimulatorThread
) -> None:
    with pytest.raises(PrinterUnreachable) as caught:
        open_printer("cups://nosuch").print(carrier_zpl())
    assert caught.value.printer == "cups://nosuch"
    assert str(caught.value).startswith("cups://nosuch: no such CUPS queue")
    assert "nosuch" in caught.value.message.removeprefix("no such CUPS queue")  # lpstat's words
    assert cups.active_jobs(queue) == [] and cups.completed_jobs(queue) == []
    assert printer_sim.sim.connections == 0


def test_a_disabled_cups_queue_is_a_typed_error_and_queues_nothing(
    cups: CupsServer, queue: str, printer_sim: SimulatorThread
) -> None:
    cups.run("cupsdisable", "-r", "out of labels", queue)
    with pytest.raises(
        PrinterUnreachable, match=f"^cups://{queue}: CUPS queue is disabled"
    ) as caught:
        open_printer(f"cups://{queue}").print(carrier_zpl())
    assert caught.value.printer == f"cups://{queue}"
    assert "out of labels" in caught.value.message  # the reason the operator gave
    assert cups.active_jobs(queue) == []
    assert printer_sim.sim.connections == 0


def test_a_cups_queue_rejecting_jobs_fails_through_lprs_exit_status(
    cups: CupsServer, queue: str, printer_sim: SimulatorThread
) -> None:
    cups.run("cupsreject", "-r", "maintenance", queue)  # still enabled: lpstat is happy
    with pytest.raises(PrinterUnreachable, match=f"^cups://{queue}: lpr failed \\(1\\)") as caught:
        open_printer(f"cups://{queue}").print(carrier_zpl())
    assert "not accepting jobs" in caught.value.message
    assert cups.active_jobs(queue) == [] and cups.completed_jobs(queue) == []
    assert printer_sim.sim.connections == 0


def test_a_job_sent_before_the_queue_is_stopped_and_one_after_both_print_once_enabled(
    cups: CupsServer, queue: str, printer_sim: SimulatorThread
) -> None:
    # The queue is checked once per transport: a queue stopped later still takes jobs
    # (CUPS holds them); nothing is lost, they print when the queue is enabled again.
    first, second = carrier_zpl(order_ref="#1"), carrier_zpl(order_ref="#2")
    with open_printer(f"cups://{queue}") as printer:
        printer.print(first)
        cups.wait_until_done(queue, 1)
        cups.run("cupsdisable", queue)
        printer.print(second)
    assert len(cups.active_jobs(queue)) == 1
    cups.run("cupsenable", queue)
    cups.wait_until_done(queue, 2)
    assert printer_sim.sim.streams == [first, second]


def test_without_cupsd_the_test_fails_and_says_which_packages_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(pytest.fail.Exception, match="apt-get install") as caught:
        cups_tool("no-such-cupsd")
    assert INSTALL_HINT in str(caught.value) and "cups-bsd" in INSTALL_HINT
