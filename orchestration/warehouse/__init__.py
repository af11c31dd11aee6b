"""The PostgreSQL warehouse: where it runs, how to reach it, and the schemas it holds."""

from orchestration.warehouse.location import WarehouseLocation, resolve_warehouse

__all__ = ["WarehouseLocation", "resolve_warehouse"]
