"""Autovacuum beside a benchmark run: waiting for it to finish before a run, and seeing it during one.

A day run rewrites a few percent of the incremental tables (delete+insert), so every few runs one of them
crosses autovacuum's threshold and a worker vacuums it. Runs made a minute apart, as a benchmark makes them,
meet the vacuum of the previous run's writes on the same two cores; runs an hour apart, as the schedule
makes them, mostly do not (docs/benchmarks.md, session 17). ``wait_until_quiet`` stands in for that hour;
``AutovacuumWatch`` records what autovacuum did while a run was timed, so that a slow run says whether it
shared the machine.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from types import TracebackType

from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation
from testkit.warehouse import query as warehouse_query

# what an autovacuum worker is doing now, one row per worker (the query text names the table)
_WORKERS = """
    select coalesce(nullif(query, ''), '(starting)')
    from pg_stat_activity
    where backend_type = 'autovacuum worker'
"""


class _Sampler:
    """One connection that looks at the autovacuum workers each time it is asked, and adds the sampling
    interval to each worker's query it sees (``seconds``)."""

    def __init__(self, location: WarehouseLocation) -> None:
        self._conn = connect(location, autocommit=True)
        self.seconds: Counter[str] = Counter()

    def sample(self, interval_s: float) -> list[str]:
        with self._conn.cursor() as cur:
            cur.execute(_WORKERS)
            workers = [query for (query,) in cur.fetchall()]
        for query in workers:
            self.seconds[query] += interval_s
        return workers

    def close(self) -> None:
        self._conn.close()


def wait_until_quiet(
    location: WarehouseLocation, naptime_s: float = 65.0, quiet_s: float = 10.0, interval_s: float = 1.0
) -> dict[str, object]:
    """Wait until autovacuum has looked at every table since the last writes (one ``autovacuum_naptime``,
    60 s by default, plus a margin) and no worker has run for ``quiet_s``; returns the seconds waited and
    what autovacuum did meanwhile (as :class:`AutovacuumWatch`)."""
    sampler = _Sampler(location)
    started = time.monotonic()
    quiet_since: float | None = None
    try:
        while True:
            now = time.monotonic()
            if sampler.sample(interval_s):
                quiet_since = None
            elif quiet_since is None:
                quiet_since = now
            if now - started >= naptime_s and quiet_since is not None and now - quiet_since >= quiet_s:
                return {"waited_s": now - started, "autovacuum_s": dict(sampler.seconds)}
            time.sleep(interval_s)
    finally:
        sampler.close()


# the share of each staging table's pages that its visibility map marks all-visible, as the last vacuum or
# analyze counted them (pg_class.relallvisible: the day's writes since then are not subtracted)
_VISIBLE = """
    select relname, round(relallvisible::numeric / nullif(relpages, 0), 3)::float
    from pg_class
    where relnamespace = 'staging'::regnamespace and relkind = 'r'
    order by relname
"""


def visible_shares(location: WarehouseLocation) -> dict[str, float | None]:
    """Per staging table, the share of its pages marked all-visible. The windowed models read the staging
    tables through index-only scans, which visit the table for every row on a page not so marked: after a
    full build whose autovacuum ran beside dbt's other thread, no page is, and those models slow down
    (int_deals_activities_summarised 0.3 s -> 4.6-6.7 s; docs/benchmarks.md, session 18). A run's timings
    mean little without it."""
    return dict(warehouse_query(location, _VISIBLE))


class AutovacuumWatch:
    """Samples the autovacuum workers every ``interval_s`` while the ``with`` block runs; ``seconds`` then
    holds, per worker query (``autovacuum: VACUUM ANALYZE schema.table`` ...), the seconds it was seen."""

    def __init__(self, location: WarehouseLocation, interval_s: float = 0.5) -> None:
        self._sampler = _Sampler(location)
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.seconds = self._sampler.seconds

    def _sample(self) -> None:
        try:
            while not self._stop.wait(self._interval_s):
                self._sampler.sample(self._interval_s)
        finally:
            self._sampler.close()

    def __enter__(self) -> AutovacuumWatch:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
