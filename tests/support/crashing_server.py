"""`wms serve` that dies as under kill -9 right after a chosen request's change commits.

Fault injection for the crash tests: a request whose Idempotency-Key starts with "die-"
ends the process (os._exit, no shutdown, nothing flushed) the moment its first write
transaction has committed, before anything else of the request runs: the gap between a
change and its answer that a power cut can hit.
"""

from __future__ import annotations

import os
import sys

from wms import cli
from wms.api import idempotency
from wms.db import Database

_committed = Database._committed


def _dying_commit(self: Database, outbox_writes_before: int) -> None:
    claim = idempotency.CLAIM.get()
    if claim is not None and claim.key.startswith("die-") and claim.tentative:
        os._exit(137)
    _committed(self, outbox_writes_before)


Database._committed = _dying_commit  # type: ignore[method-assign]

if __name__ == "__main__":
    raise SystemExit(cli.main(sys.argv[1:]))
