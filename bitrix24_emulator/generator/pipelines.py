"""Pipelines (``crm.category.list``) and their stages (``crm.status.list``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from bitrix24_emulator.model import Table

CATEGORY_FIELDS = ("id", "name", "sort", "entityTypeId", "isDefault", "originId", "originatorId")
STATUS_FIELDS = (
    "ID",
    "ENTITY_ID",
    "STATUS_ID",
    "NAME",
    "NAME_INIT",
    "SORT",
    "SYSTEM",
    "CATEGORY_ID",
    "COLOR",
    "SEMANTICS",
    "EXTRA",
)

# (code, name, semantics P/S/F, extra semantics)
_STAGES: dict[int, tuple[tuple[str, str, str, str], ...]] = {
    0: (
        ("NEW", "Новая", "P", "process"),
        ("PREPARATION", "Подготовка документов", "P", "process"),
        ("PREPAYMENT_INVOICE", "Счёт на предоплату", "P", "process"),
        ("EXECUTING", "В работе", "P", "process"),
        ("FINAL_INVOICE", "Финальный счёт", "P", "process"),
        ("WON", "Сделка успешна", "S", "success"),
        ("LOSE", "Сделка провалена", "F", "failure"),
        ("APOLOGY", "Анализ причины провала", "F", "apology"),
    ),
    1: (
        ("NEW", "Новая", "P", "process"),
        ("PREPARATION", "Согласование условий", "P", "process"),
        ("EXECUTING", "Отгрузка", "P", "process"),
        ("WON", "Повторная продажа", "S", "success"),
        ("LOSE", "Отказ", "F", "failure"),
    ),
    2: (
        ("NEW", "Заявка на тендер", "P", "process"),
        ("PREPARATION", "Подготовка заявки", "P", "process"),
        ("EXECUTING", "Торги", "P", "process"),
        ("WON", "Тендер выигран", "S", "success"),
        ("LOSE", "Тендер проигран", "F", "failure"),
    ),
}
_CATEGORY_NAMES = {0: "Продажи", 1: "Повторные продажи", 2: "Тендеры"}
_COLORS = {"P": "#39A8EF", "S": "#7BD500", "F": "#FF5752"}


@dataclass(frozen=True)
class Stage:
    category: int
    status_id: str  # wire STAGE_ID, e.g. "C1:NEW"
    semantic: str  # P / S / F


def stage_id(category: int, code: str) -> str:
    return code if category == 0 else f"C{category}:{code}"


@cache
def stages(category: int) -> tuple[tuple[Stage, ...], Stage, tuple[Stage, ...]]:
    """(in-progress stages in order, the success stage, failure stages) of a pipeline."""
    all_stages = [Stage(category, stage_id(category, code), sem) for code, _, sem, _ in _STAGES[category]]
    progress = tuple(s for s in all_stages if s.semantic == "P")
    won = next(s for s in all_stages if s.semantic == "S")
    return progress, won, tuple(s for s in all_stages if s.semantic == "F")


CATEGORIES = tuple(_STAGES)


def categories_table() -> Table:
    # originId / originatorId are "" on added pipelines and absent on the default one (None here: the server
    # leaves them out), as in the vendor's example (docs/bitrix24-api.md § crm.category.list).
    rows = [
        (
            cat,
            _CATEGORY_NAMES[cat],
            100 * (cat + 1),
            2,
            "Y" if cat == 0 else "N",
            *(("", "") if cat else (None, None)),
        )
        for cat in CATEGORIES
    ]
    return Table("categories", CATEGORY_FIELDS, rows, id_field="id")


def statuses_table() -> Table:
    rows = []
    for cat in CATEGORIES:
        entity = "DEAL_STAGE" if cat == 0 else f"DEAL_STAGE_{cat}"
        for index, (code, name, sem, extra) in enumerate(_STAGES[cat]):
            color = _COLORS[sem]
            rows.append(
                [
                    entity,
                    stage_id(cat, code),
                    name,
                    name,
                    str(10 * (index + 1)),
                    "Y" if sem != "P" or index == 0 else "N",
                    # default-pipeline stages: CATEGORY_ID null (docs/bitrix24-api.md § crm.status.list)
                    str(cat) if cat else None,
                    color,
                    None if sem == "P" else sem,
                    {"SEMANTICS": extra, "COLOR": color},
                ]
            )
    return Table("statuses", STATUS_FIELDS, [(str(i), *row) for i, row in enumerate(rows, start=1)])
