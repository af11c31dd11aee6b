"""What ``demo`` prints: the managers per department, read back from the marts."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from orchestration.i18n import N_, gettext_for
from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation

MANAGERS_PER_DEPARTMENT = """
    select coalesce(parent_department_name, '—') as parent,
           department_name as department,
           count(*) filter (where is_active) as active_managers,
           count(*) filter (where not is_active) as fired
    from marts.dim_managers
    group by 1, 2
    order by 1, 2
"""


def managers_per_department(location: WarehouseLocation) -> list[tuple[str, str | None, int, int]]:
    conn = connect(location)
    try:
        with conn.cursor() as cur:
            cur.execute(MANAGERS_PER_DEPARTMENT)
            return list(cur.fetchall())
    finally:
        conn.close()


COLUMNS = (N_("parent department"), N_("department"), N_("active managers"), N_("fired"))
NO_DEPARTMENT = N_("(no department)")


def print_managers_per_department(
    location: WarehouseLocation, console: Console, language: str = "en"
) -> None:
    _ = gettext_for(language)
    table = Table(title=_("Managers per department (marts.dim_managers)"))
    for number, column in enumerate(COLUMNS):
        table.add_column(_(column), justify="right" if number >= 2 else "left")
    for parent, department, active, fired in managers_per_department(location):
        table.add_row(parent, department or _(NO_DEPARTMENT), str(active), str(fired))
    console.print(table)
