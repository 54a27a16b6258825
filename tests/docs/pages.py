"""What the docs tests share: where the guide is, its pages, and its glossary entries."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
DOCS = REPO / "docs"
GLOSSARY = DOCS / "glossary.md"
ALGOS = ("ppo", "a2c", "dqn", "qrdqn", "pqn")

# A metric or term is a glossary entry when it is a Markdown heading whose text is the name
# in backticks, e.g. "### `train/approx_kl`" or "### `algo.gamma`".
HEADING = re.compile(r"^#{2,4}\s+`([^`]+)`", re.MULTILINE)


def doc_pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def glossary_entries() -> set[str]:
    return set(HEADING.findall(GLOSSARY.read_text(encoding="utf-8")))


def missing_entries(names: set[str]) -> list[str]:
    entries = {e.lower() for e in glossary_entries()}
    return sorted(n for n in names if n.lower() not in entries)
