"""Markdown pieces the notebook's sections share: tables and short numbers."""

from __future__ import annotations


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def cell(text: str) -> str:
    """A table cell: a `|` would end the cell and a newline the row, so neither survives."""
    return " ".join(text.split()).replace("|", "\\|")


def count(n: float) -> str:
    """``256`` -> ``"256"``, ``12_345`` -> ``"12.3k"``, ``10_000_000`` -> ``"10M"``."""
    for scale, unit in ((1_000_000, "M"), (1_000, "k")):
        if abs(n) >= scale:
            return f"{n / scale:.3g}{unit}"
    return f"{n:g}"
