"""Superset configuration for b24ops, read by the Superset process through ``SUPERSET_CONFIG_PATH``.

Everything deployment-specific comes from the environment that ``orchestration/runtime/superset_server.py``
(or docker-compose) sets: no secret and no password lives in this file.
"""

import os
import time

# Signs sessions and encrypts the stored database passwords; Superset refuses to start with its default.
SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]

# Metadata (users, charts, dashboards): SQLite under .data/superset by default, PostgreSQL in compose.
SQLALCHEMY_DATABASE_URI = os.environ["SUPERSET_METADATA_URL"]

# The dashboards' "Last 30 days" (and every relative range: "today", "Last week", "Current month") must end
# on the portal's today, as `b24ops report`'s default period and the marts' snapshot dates do (#19). Superset
# evaluates "today" with the process's local clock (superset.utils.date_parser: parsedatetime on
# time.localtime(), naive datetimes), so the process runs in the portal's time zone, B24_PORTAL_TIME_ZONE,
# whatever the server's own zone is. Provisioning cannot do it (a fixed date would be wrong the next day).
PORTAL_TIME_ZONE = os.environ.get("B24_PORTAL_TIME_ZONE") or "Europe/Moscow"
os.environ["TZ"] = PORTAL_TIME_ZONE
time.tzset()

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

# The interface in the product's language (B24OPS_LANGUAGE), Russian or English, switchable by each user in
# the menu (Superset ships both translations); the dashboards' own labels are translated when they are
# provisioned (orchestration/superset/labels.py).
LANGUAGE = os.environ.get("B24OPS_LANGUAGE") or "en"
BABEL_DEFAULT_LOCALE = LANGUAGE
LANGUAGES = {"ru": {"flag": "ru", "name": "Русский"}, "en": {"flag": "us", "name": "English"}}

# Numbers and dates as a Russian reader writes them (d3's ru-RU locales): 1 234,5 and 31.10.2026. One
# format per Superset instance: it follows the instance's language, not each user's choice.
if LANGUAGE == "ru":
    D3_FORMAT = {"decimal": ",", "thousands": "\u00a0", "grouping": [3], "currency": ["", "\u00a0₽"]}
    D3_TIME_FORMAT = {
        "dateTime": "%A, %e %B %Y г. %X",
        "date": "%d.%m.%Y",
        "time": "%H:%M:%S",
        "periods": ["AM", "PM"],
        "days": ["воскресенье", "понедельник", "вторник", "среда", "четверг", "пятница", "суббота"],
        "shortDays": ["вс", "пн", "вт", "ср", "чт", "пт", "сб"],
        "months": [
            "января", "февраля", "марта", "апреля", "мая", "июня",
            "июля", "августа", "сентября", "октября", "ноября", "декабря",
        ],
        "shortMonths": ["янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"],
    }  # fmt: skip
