"""Inputs of the working-time models that the tests' scenarios and bench/working_time.py build by hand."""

from __future__ import annotations

# The users the records name whom user.get does not list (int_users_unknown, read by the macro
# calendar_users): none in a hand-made calendar, an empty relation for the working-time models to read.
NO_UNKNOWN_USERS = """
    create schema if not exists intermediate;
    create table intermediate.int_users_unknown (user_id bigint);
"""
