"""Operational alerts: SLA alerts on untouched requests and the heads' morning digest, sent into Bitrix24.

The rules live in dbt (``marts.sla_alerts``); this package only delivers: each (request, level) at most
once, in the recipient's working time, with its state in the warehouse (``alerts.deliveries``).
docs/operations.md, "Alerts"; docs/decisions.md, "Alerts: at most once".
"""
