"""What the checks read about a run, loaded once from its small files.

The doctor reads only files a run writes as it goes (the saved config, summary.json,
evaluations.jsonl, progress.csv), so it judges a run while it trains, after it ended, or after
it died, on this machine or another.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from simple_game.records.evaluations import Evaluation, pool_by_steps, read_evaluations
from simple_game.records.paths import RunPaths
from simple_game.records.progress import Series, read_progress
from simple_game.records.reference import load_reference
from simple_game.records.run_summary import RunSummary, read_summary
from simple_game.records.scores import Baseline, baseline


class Evaluated(NamedTuple):
    """One evaluated step count: the mean of its games and that mean's standard error."""

    steps: int
    minutes: float | None
    mean: float
    se: float  # standard error of the mean over the games (0 with a single game)
    games: int

    def evidence(self) -> str:
        noise = f" ± {2 * self.se:.1f}" if self.games > 1 else ""
        return f"eval/mean_reward {self.mean:.1f}{noise} at {self.steps:,} steps"


def _evaluated(steps: int, minutes: float | None, games: list[float]) -> Evaluated:
    n = len(games)
    se = statistics.stdev(games) / math.sqrt(n) if n > 1 else 0.0
    return Evaluated(steps, minutes, statistics.fmean(games), se, n)


@dataclass
class RunFacts:
    """A run's files, read once; ``now`` decides whether a silent run counts as dead."""

    run_dir: Path
    config: Any  # the saved OmegaConf config (DictConfig)
    summary: RunSummary
    evaluations: list[Evaluation]  # evaluations.jsonl, in file order
    progress: dict[str, Series] = field(default_factory=dict)
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def algo(self) -> str:
        return str(self.config.algo.name)

    @property
    def budget(self) -> int:
        return int(self.config.train.total_timesteps)

    @property
    def steps(self) -> int:
        return self.summary.timesteps

    @property
    def target(self) -> float | None:
        target = self.config.train.get("target_score")
        return None if target is None else float(target)

    @property
    def ending(self) -> str | None:
        """How the run ended (records.run_summary.ENDINGS), or None without a summary."""
        return self.summary.ending(self.now)

    @cached_property
    def points(self) -> list[Evaluated]:
        """Every evaluated step count, in step order (a final evaluation of the same weights
        pooled into the last periodic one, as on the learning curve)."""
        return [
            _evaluated(p.timesteps, None if p.wall_time_s is None else p.wall_time_s / 60, p.games)
            for p in pool_by_steps(self.evaluations)
        ]

    @cached_property
    def baseline(self) -> Baseline | None:
        return baseline(str(self.config.env.id))

    @cached_property
    def reference(self) -> dict[str, Any] | None:
        """The measured runs of the recipe this run followed, if it followed one."""
        return load_reference(self.summary.recipe or self.config.get("recipe"))

    def metric(self, tag: str) -> Series:
        return self.progress.get(tag, [])


def load_facts(run_dir: Path, now: datetime | None = None) -> RunFacts:
    """The run's files; raises OSError / ValueError if it is not a readable run directory."""
    from omegaconf import OmegaConf

    facts = RunFacts(
        run_dir,
        OmegaConf.load(RunPaths(run_dir).hydra_config),
        read_summary(run_dir) or RunSummary(),
        read_evaluations(run_dir),
        read_progress(run_dir),
    )
    if now is not None:
        facts.now = now
    return facts
