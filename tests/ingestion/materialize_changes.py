"""``python -m tests.ingestion.materialize_changes FIRST LAST``: the change assets over a range, in one run.

The process the kill test SIGKILLs. Resources come from the environment as in production. The loader's
COPY chunk is made small so a window's first rows reach the raw table (inside the still-open transaction)
long before the window is complete: a kill then has something to roll back.
"""

import sys

import dagster as dg

from orchestration.warehouse import raw_load
from tests.ingestion import harness


def main(first: str, last: str) -> None:
    raw_load.CHUNK_ROWS = 100
    with dg.DagsterInstance.ephemeral() as instance:
        result = harness.run_changes(harness.definitions(), instance, first, last, checks=False)
    sys.exit(0 if result.success else 1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
