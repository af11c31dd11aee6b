"""How the product prints a 0-1 fraction (a connect rate): the CLI's tables and the digest share it, so a
rate reads the same everywhere (#19: one format)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def percent(fraction: Decimal | float) -> str:
    """A fraction as a percentage with one decimal, halves rounded up as PostgreSQL's round() does in the
    marts' reason texts (format's half-to-even would print 14.2 % where the reason says 14.3 %)."""
    value = (Decimal(str(fraction)) * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return f"{value} %"
