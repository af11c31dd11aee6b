"""Where things are: the checkout's root, the project folders in it, and ``.data/``, where every local run
writes (embedded PostgreSQL, Dagster home, PID files and logs, Superset's state, OAuth tokens).

The one module that locates the checkout; everything else builds its paths from these.
"""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / ".data"
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
SUPERSET_DIR = PROJECT_ROOT / "superset"
