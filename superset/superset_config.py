"""Superset configuration for b24ops, read by the Superset process through ``SUPERSET_CONFIG_PATH``.

Everything deployment-specific comes from the environment that ``orchestration/superset/server.py``
(or docker-compose) sets: no secret and no password lives in this file.
"""

import os

# Signs sessions and encrypts the stored database passwords; Superset refuses to start with its default.
SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]

# Metadata (users, charts, dashboards): SQLite under .data/superset by default, PostgreSQL in compose.
SQLALCHEMY_DATABASE_URI = os.environ["SUPERSET_METADATA_URL"]

FEATURE_FLAGS = {
    # The datasets read the department filter with filter_values(): choosing a department must include
    # its sub-departments, which a plain `department = X` filter cannot express.
    "ENABLE_TEMPLATE_PROCESSING": True,
}

# Behind a reverse proxy with TLS in production (set SUPERSET_TALISMAN=true there); plain HTTP on
# 127.0.0.1 locally, where Talisman's HTTPS-only cookies would break the login.
TALISMAN_ENABLED = os.environ.get("SUPERSET_TALISMAN", "false").lower() == "true"
SESSION_COOKIE_SECURE = TALISMAN_ENABLED

# No SQLite (or other file) databases as data sources: BI users only reach the warehouse.
PREVENT_UNSAFE_DB_CONNECTIONS = True

# One log line per request is noise at the default level in a background process.
LOG_LEVEL = os.environ.get("SUPERSET_LOG_LEVEL", "WARNING")
