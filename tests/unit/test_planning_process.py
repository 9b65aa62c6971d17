"""The wave planning process lives and dies with its server: no orphan after shutdown or kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from tests.support.waiting import wait_until
from wms.services import wave_planning


def test_the_planning_process_runs_below_the_server_and_stops_at_shutdown() -> None:
    worker = wave_planning.executor().submit(os.getpid).result(timeout=60)
    niceness = wave_planning.executor().submit(os.nice, 0).result(timeout=60)
    assert worker != os.getpid() and niceness >= os.nice(0) + wave_planning.NICE
    wave_planning.shutdown()
    wait_until(
        lambda: not wave_planning.is_running(worker), "the planning process to end at shutdown"
    )


def test_a_server_killed_without_its_shutdown_leaves_no_planning_process_behind() -> None:
    script = textwrap.dedent(
        """
        import os, signal
        from wms.services import wave_planning
        print(wave_planning.executor().submit(os.getpid).result(timeout=60), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    server = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert server.returncode == -signal.SIGKILL
    worker = int(server.stdout.split()[0])
    wait_until(
        lambda: not wave_planning.is_running(worker),
        "the orphaned planning process to exit",
        timeout=15,
    )
