"""``b24ops-dbt``: dbt, bound to the life of the process that starts it (the Dagster step).

dagster-dbt starts dbt with ``subprocess.Popen`` and offers no hook into it. When the step's process dies
without a chance to stop dbt (``kill -9``, the OOM killer), dbt would go on as an orphan — for as long as
its current query runs, or forever when that query waits on a lock. Linux's ``PR_SET_PDEATHSIG`` asks the
kernel to send a signal when the parent dies, and it survives ``exec``: this entry point sets it and then
becomes the dbt installed beside it. (A parent dying in the microseconds before ``prctl`` is not caught;
other systems get plain dbt.)

Leading ``NAME=VALUE`` arguments are added to dbt's environment, as ``env(1)`` takes them: dagster-dbt gives
dbt the environment of the step's process and no other, and that one is not written to talk to a child
(orchestration/settings.py). The windowed asset passes its partition window so (orchestration/defs/dbt.py:
window_env).
"""

from __future__ import annotations

import ctypes
import os
import re
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# an environment assignment, not a dbt argument: those are commands and --flags
ASSIGNMENT = re.compile(r"[A-Z_][A-Z0-9_]*=")


def main() -> None:
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        # SIGTERM, not SIGINT: dbt's Ctrl-C handling waits for cancelled queries; an orphan must just end.
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    dbt = str(Path(sys.executable).parent / "dbt")
    args = sys.argv[1:]
    assignments = []
    while args and ASSIGNMENT.match(args[0]):
        assignments.append(args.pop(0))
    if not assignments:
        os.execv(dbt, [dbt, *args])
    # env(1) adds them to the environment it was given and becomes dbt in turn (the death signal survives)
    os.execvp("env", ["env", *assignments, dbt, *args])
