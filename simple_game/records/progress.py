"""``progress.csv``: every scalar SB3's logger wrote, one row per dump, read back by tag."""

from __future__ import annotations

import csv
from pathlib import Path

from simple_game.records.paths import STEP_COLUMN, RunPaths

Series = list[tuple[int, float]]  # (agent steps, value), in the order they were logged


def read_progress(run_dir: Path) -> dict[str, Series]:
    """A run's progress.csv as ``{tag: [(steps, value), ...]}``; empty cells are skipped (each
    row holds only the tags logged at that dump), as is a torn last row."""
    path = RunPaths(run_dir).progress_csv
    if not path.exists():
        return {}
    series: dict[str, Series] = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            try:
                steps = int(float(row.get(STEP_COLUMN) or ""))
            except ValueError:
                continue
            for tag, value in row.items():
                if tag == STEP_COLUMN or value in (None, ""):
                    continue
                try:
                    series.setdefault(tag, []).append((steps, float(value)))
                except (TypeError, ValueError):
                    continue
    return series
