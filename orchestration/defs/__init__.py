"""Everything Dagster loads: the one code location (definitions.py) and what it is built from."""
