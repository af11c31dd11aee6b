"""Superset: its own venv, the local web server, the read-only warehouse role and the dashboards import.

Modules: ``settings`` (paths, secrets), ``install`` (venv, metadata DB, admin), ``server`` (start/stop),
``readonly_role``, ``bundle`` (render/zip), ``client`` (REST), ``provision`` (role + import),
``resources`` (Dagster). Nothing is imported here: the Dagster code location must not load the CLI's
process helpers that ``server`` uses, and the CLI must not load Dagster assets.
"""
