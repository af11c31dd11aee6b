"""What ``demo`` prints: the managers per department, read back from the marts."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation

MANAGERS_PER_DEPARTMENT = """
    select coalesce(parent_department_name, '—') as parent,
           coalesce(department_name, '(no department)') as department,
           count(*) filter (where is_active) as active_managers,
           count(*) filter (where not is_active) as fired
    from marts.dim_managers
    group by 1, 2
    order by 1, 2
"""


def managers_per_department(location: WarehouseLocation) -> list[tuple[str, str, int, int]]:
    conn = connect(location)
    try:
        with conn.cursor() as cur:
            cur.execute(MANAGERS_PER_DEPARTMENT)
            return list(cur.fetchall())
    finally:
        conn.close()


def print_managers_per_department(location: WarehouseLocation, console: Console) -> None:
    table = Table(title="Managers per department (marts.dim_managers)")
    for column in ("parent department", "department", "active managers", "fired"):
        table.add_column(column, justify="right" if column in {"active managers", "fired"} else "left")
    for parent, department, active, fired in managers_per_department(location):
        table.add_row(parent, department, str(active), str(fired))
    console.print(table)
