"""A Superset dataset's SQL rendered without Superset (it is not in the project's venv): Jinja with
Superset's macros stood in for, so a test can run the SQL the dashboards send on a real warehouse."""

from __future__ import annotations

from types import SimpleNamespace

import jinja2

# What Superset 6.1's get_time_filter(target_type='DATE') gives for "No filter".
NO_RANGE = SimpleNamespace(from_expr=None, to_expr=None, time_range="No filter")


def render_dataset_sql(dataset: dict, time_filter: SimpleNamespace, chosen: dict[str, list[str]]) -> str:
    """The dataset's SQL (from a rendered bundle) for the range ``time_filter`` and the filter values
    ``chosen`` (``{filter column: values}``)."""
    environment = jinja2.Environment()
    environment.filters["where_in"] = lambda values: "(" + ", ".join(f"'{v}'" for v in values) + ")"
    return environment.from_string(dataset["sql"]).render(
        get_time_filter=lambda **_: time_filter,
        filter_values=lambda name, **_: chosen.get(name, []),
    )
