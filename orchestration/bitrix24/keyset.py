"""The fast bulk-read recipe (docs/bitrix24-api.md § Paging, § batch): keyset pages chained in ``batch``.

Each page is ``order {ID: ASC}``, ``filter {">ID": last}``, ``start=-1`` (no COUNT query). One ``batch``
chains up to 50 pages: command ``p{i}`` filters on ``$result[p{i-1}][49][ID]``, the last ID of the page before
it, and ``halt=1`` stops the chain at the first failing command. 50 × 50 = 2,500 rows per HTTP request at
best.

Why pages after a short one are discarded: when page ``p{i-1}`` has fewer than 50 rows, ``[49]`` does not
exist and the portal silently resolves the reference to the deepest existing value (the whole page array), so
every later command ran with a meaningless filter. The end of the data is the first short page; anything after
it in the same batch is dropped, and every page is also checked to continue strictly after the previous one,
so a bad substitution can cost a retry but never a duplicate or a gap.

The first request is a single page (not a batch): a small change window is done in one cheap call, and the
portal is not made to run 49 meaningless commands for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from orchestration.bitrix24.batch import MAX_COMMANDS, BatchResult
from orchestration.bitrix24.errors import Bitrix24ResponseError, fatal_error, retry_cause


@dataclass(frozen=True)
class KeysetProfile:
    """How one list method spells ID filtering and ordering."""

    id_field: str = "ID"
    result_path: tuple[
        str, ...
    ] = ()  # ("items",) where rows are wrapped: crm.item.list, crm.stagehistory.list
    filter_key: str = "filter"
    order_style: Literal["map", "sort_order", "lower_sort_order"] = (
        "map"  # {"order": {ID: ASC}}, scalar {"SORT": ID, "ORDER": ASC}, or scalar {"sort": ID, "order": ASC}
    )


PROFILES: dict[str, KeysetProfile] = {
    "crm.item.list": KeysetProfile(id_field="id", result_path=("items",)),
    "crm.stagehistory.list": KeysetProfile(result_path=("items",)),
    "voximplant.statistic.get": KeysetProfile(filter_key="FILTER", order_style="sort_order"),
    # offset-paged lists that spell ordering as scalar SORT/ORDER
    "user.get": KeysetProfile(filter_key="FILTER", order_style="sort_order"),
    # department.get also reads an upper-case SORT as a filter on the sort index (docs/bitrix24-api.md,
    # "department.get"): {"SORT": "ID"} returns only departments whose sort index is intval("ID") = 0.
    "department.get": KeysetProfile(order_style="lower_sort_order"),
}


def id_order(profile: KeysetProfile) -> dict[str, Any]:
    """Parameters that order a list by ID ascending, as the method spells it.

    Without an explicit order the portal's order is not stable between pages, so offset pages overlap and
    miss rows (docs/bitrix24-api.md § Paging); every paged read must ask for it.
    """
    if profile.order_style == "map":
        return {"order": {profile.id_field: "ASC"}}
    if profile.order_style == "lower_sort_order":
        return {"sort": profile.id_field, "order": "ASC"}
    return {"SORT": profile.id_field, "ORDER": "ASC"}


def profile_for(method: str, id_field: str | None, result_path: tuple[str, ...] | None) -> KeysetProfile:
    base = PROFILES.get(method.lower(), KeysetProfile())
    return KeysetProfile(
        id_field=id_field if id_field is not None else base.id_field,
        result_path=result_path if result_path is not None else base.result_path,
        filter_key=base.filter_key,
        order_style=base.order_style,
    )


def rows_at(result: Any, path: tuple[str, ...]) -> list[dict[str, Any]]:
    """The row list of a page result, following ``path``; PHP's ``[]`` for an empty map counts as no rows."""
    for key in path:
        if not isinstance(result, dict):
            return []
        result = result.get(key, [])
    return [row for row in result if isinstance(row, dict)] if isinstance(result, list) else []


def _pop_case_insensitive(params: dict[str, Any], key: str) -> Any:
    for existing in list(params):
        if existing.lower() == key.lower():
            return params.pop(existing)
    return None


class KeysetPlan:
    """Builds page parameters for one keyset export of ``method``."""

    def __init__(
        self, method: str, params: dict[str, Any] | None, profile: KeysetProfile, page_size: int
    ) -> None:
        self.method, self.profile, self.page_size = method, profile, page_size
        self.base = dict(params or {})
        for key in ("start", "order", "sort"):
            _pop_case_insensitive(self.base, key)
        user_filter = _pop_case_insensitive(self.base, profile.filter_key)
        self.filter: dict[str, Any] = dict(user_filter or {})
        self.gt_key = f">{profile.id_field}"
        start_after = _pop_case_insensitive(self.filter, self.gt_key)
        self.start_after: int | None = int(start_after) if start_after not in (None, "") else None

    def page_params(self, after: int | str | None) -> dict[str, Any]:
        page_filter = dict(self.filter)
        if after is not None:
            page_filter[self.gt_key] = after
        return {**self.base, self.profile.filter_key: page_filter, **id_order(self.profile), "start": -1}

    def reference(self, key: str) -> str:
        """``$result[key][...][49][ID]``: the last ID of a full page ``key`` earlier in the same batch."""
        path = "".join(f"[{part}]" for part in self.profile.result_path)
        return f"$result[{key}]{path}[{self.page_size - 1}][{self.profile.id_field}]"

    def chain(self, after: int | None, length: int) -> dict[str, tuple[str, dict[str, Any]]]:
        commands = {"p0": (self.method, self.page_params(after))}
        for i in range(1, length):
            commands[f"p{i}"] = (self.method, self.page_params(self.reference(f"p{i - 1}")))
        return commands

    def row_id(self, row: dict[str, Any]) -> int:
        try:
            return int(row[self.profile.id_field])
        except (KeyError, TypeError, ValueError):
            raise Bitrix24ResponseError(
                f"Bitrix24 {self.method}: a row without an integer {self.profile.id_field}; keyset needs one",
                method=self.method,
            ) from None


def continues(plan: KeysetPlan, rows: list[dict[str, Any]], after: int | None) -> bool:
    """Whether ``rows`` are strictly ascending and strictly after ``after`` — a sound next page."""
    previous = after
    for row in rows:
        current = plan.row_id(row)
        if previous is not None and current <= previous:
            return False
        previous = current
    return True


def iter_keyset(
    plan: KeysetPlan,
    call_page: Callable[[dict[str, Any]], Any],
    call_batch: Callable[[dict[str, tuple[str, dict[str, Any]]]], BatchResult],
    on_retry: Callable[[str, int], None],
    max_stalls: int = 5,
) -> Iterator[list[dict[str, Any]]]:
    """Yield pages (lists of rows) in ascending ID order until the first short page.

    ``on_retry(code, attempt)`` is told about a chain cut short by a retryable command error (``code``) or by
    a page that does not continue the previous one (``code`` empty); it may wait before the next batch.
    """
    after = plan.start_after
    rows = rows_at(call_page(plan.page_params(after)), plan.profile.result_path)
    if not continues(plan, rows, after):
        raise Bitrix24ResponseError(
            f"Bitrix24 {plan.method}: ignores ID order or the > filter", method=plan.method
        )
    if rows:
        yield rows
        after = plan.row_id(rows[-1])
    if len(rows) < plan.page_size:
        return
    stalls = 0
    while True:
        batch = call_batch(plan.chain(after, MAX_COMMANDS))
        progressed, finished = False, False
        for i in range(MAX_COMMANDS):
            key = f"p{i}"
            if key in batch.errors:
                error = batch.errors[key]
                code, text = str(error.get("error", "")), str(error.get("error_description", ""))
                if retry_cause(code, 0) is None:
                    raise fatal_error(plan.method, None, code, text)
                on_retry(code, stalls + 1)
                break
            if key not in batch.results:
                break
            rows = rows_at(batch.results[key], plan.profile.result_path)
            if not continues(plan, rows, after):
                on_retry("", stalls + 1)
                break
            if rows:
                yield rows
                after, progressed = plan.row_id(rows[-1]), True
            if len(rows) < plan.page_size:
                finished = True
                break
        if finished:
            return
        stalls = 0 if progressed else stalls + 1
        if stalls > max_stalls:
            raise Bitrix24ResponseError(
                f"Bitrix24 {plan.method}: no progress after {stalls} batch calls", method=plan.method
            )
