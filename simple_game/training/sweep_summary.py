"""Count how the jobs of a ``-m`` sweep ended, and say it in one line when the sweep is over.

Hydra runs every job of a sweep even when one crashes, then re-raises the first failure and
skips ``on_multirun_end``. So the count is made from the jobs' summary.json files, and the
sweep directory is remembered by a callback that Hydra calls when the sweep starts.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from simple_game.records.paths import RunPaths
from simple_game.records.run_summary import read_summary


class RememberSweepDir(Callback):
    """Remembers where the current sweep writes its jobs (``hydra.sweep.dir``)."""

    sweep_dir: ClassVar[Path | None] = None

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        RememberSweepDir.sweep_dir = Path(config.hydra.sweep.dir)


def job_outcomes(sweep_dir: Path) -> dict[str, str]:
    """Job directory name -> status from its summary.json (``no summary`` if it has none)."""
    outcomes = {}
    for job in sorted(sweep_dir.iterdir()) if sweep_dir.is_dir() else []:
        if RunPaths(job).hydra_dir.is_dir():
            summary = read_summary(job)
            outcomes[job.name] = (summary and summary.status) or "no summary"
    return outcomes


def summary_line(sweep_dir: Path) -> str:
    """E.g. ``Sweep multirun/2026-11-24_10-00-00: 4 jobs: 3 completed, 1 failed (job 2).``"""
    outcomes = job_outcomes(sweep_dir)
    counts = Counter(outcomes.values())
    parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    failed = [job for job, status in outcomes.items() if status == "failed"]
    where = f" (job {', '.join(failed)}: see summary.json and train.log there)" if failed else ""
    return f"Sweep {sweep_dir}: {len(outcomes)} jobs: {parts}{where}."
