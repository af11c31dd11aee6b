"""Help screens that read like a person wrote them: typer prints a type after every option (``<bool>``
after ``--help`` and every flag, ``<list[int]>`` after a repeatable option); flags take no value, so they
show none, and every option that takes one names it with a ``metavar`` (ID, YYYY-MM-DD, COLUMN)."""

from __future__ import annotations

from typing import Any

from typer.core import TyperCommand, TyperGroup


def _without_flag_types(params: list[Any]) -> list[Any]:
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""  # shown as nothing: a flag is given or not
    return params


class HumanCommand(TyperCommand):
    """A command whose flags (``--help`` too) show no type in its help."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _without_flag_types(super().get_params(ctx))


class HumanGroup(TyperGroup):
    """A group (``b24ops``, ``b24ops warehouse``) whose ``--help`` shows no type."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _without_flag_types(super().get_params(ctx))
