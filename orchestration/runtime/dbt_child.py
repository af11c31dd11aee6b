"""``b24ops-dbt``: dbt, bound to the life of the process that starts it (the Dagster step).

dagster-dbt starts dbt with ``subprocess.Popen`` and offers no hook into it. When the step's process dies
without a chance to stop dbt (``kill -9``, the OOM killer), dbt would go on as an orphan — for as long as
its current query runs, or forever when that query waits on a lock. Linux's ``PR_SET_PDEATHSIG`` asks the
kernel to send a signal when the parent dies, and it survives ``exec``: this entry point sets it and then
becomes the dbt installed beside it. (A parent dying in the microseconds before ``prctl`` is not caught;
other systems get plain dbt.)
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def main() -> None:
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        # SIGTERM, not SIGINT: dbt's Ctrl-C handling waits for cancelled queries; an orphan must just end.
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    dbt = str(Path(sys.executable).parent / "dbt")
    os.execv(dbt, [dbt, *sys.argv[1:]])
