"""Sweeps (``python -m simple_game -m ...``): what was swept and how the jobs compare.

Hydra writes ``multirun.yaml`` into every sweep directory: the command's overrides and the
sweeper's settings. Each job is an ordinary run directory, read by :mod:`.runs`; the
values that were swept are the overrides that differ between the jobs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from simple_game.config.overrides import flatten
from simple_game.records.paths import SweepPaths
from simple_game.report.runs import Run, is_bookkeeping, override_key

# libyaml's C parser when available: multirun.yaml is ~250 lines and there can be many.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Sweep:
    """One sweep directory: its command, its sweeper, its jobs."""

    path: str  # sweep directory, POSIX path relative to the report's root
    command: tuple[str, ...]  # the overrides typed after `-m`, e.g. ("seed=0,1", "env=pong")
    sweeper: str  # the sweeper's class name, e.g. "BasicSweeper" (Hydra's grid); "" if unknown
    search_space: tuple[tuple[str, str], ...]  # hydra.sweeper.params, for sweepers that use one
    settings: dict[str, Any]  # the rest of hydra.sweeper (storage, study_name, n_trials, ...)
    jobs: tuple[Run, ...]

    @property
    def swept(self) -> dict[str, list[str]]:
        """Override keys whose value differs between jobs, with their values in job order.

        Bookkeeping keys are left out: an Optuna trial number differs between jobs too.
        """
        per_job = [
            dict(_split(o) for o in job.overrides if not is_bookkeeping(override_key(o)))
            for job in self.jobs
        ]
        keys = sorted({k for overrides in per_job for k in overrides})
        swept = {}
        for key in keys:
            values = [overrides.get(key, "(default)") for overrides in per_job]
            if len(set(values)) > 1:
                swept[key] = list(dict.fromkeys(values))
        return swept

    def ranked(self) -> list[Run]:
        """Jobs best first by final score (what a sweeper optimises); unscored jobs last."""

        def key(job: Run) -> tuple[bool, float, int, str]:
            name = Path(job.path).name  # job numbers sort as numbers: 2 before 10
            number = int(name) if name.isdigit() else -1
            return (job.final is None, -job.final.mean if job.final else 0.0, number, name)

        return sorted(self.jobs, key=key)


def read_sweep(root: Path, sweep_dir: Path, runs: list[Run]) -> Sweep:
    """A sweep from its multirun.yaml and its jobs (``runs`` whose ``sweep`` is this dir)."""
    rel = sweep_dir.relative_to(root).as_posix()
    hydra = load_yaml(SweepPaths(sweep_dir).sweep_config).get("hydra")
    hydra = hydra if isinstance(hydra, dict) else {}
    sweeper = dict(hydra.get("sweeper") or {})
    target = str(sweeper.pop("_target_", "") or "")
    if not target and SweepPaths(sweep_dir).optuna_results.exists():
        target = "simple_game_sweeper.OptunaSweeper"  # the project's; it writes no multirun.yaml
    params = sweeper.pop("params", None) or {}
    return Sweep(
        path=rel,
        command=tuple(str(o) for o in (hydra.get("overrides") or {}).get("task") or ()),
        sweeper=target.rsplit(".", 1)[-1],
        search_space=_search_space(params),
        settings=sweeper,
        jobs=tuple(run for run in runs if run.sweep == rel),
    )


def load_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping, or {} when the file is missing, damaged or not a mapping."""
    try:
        data = yaml.load(path.read_text(), Loader=_Loader)
    except (OSError, ValueError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def _search_space(params: Any) -> tuple[tuple[str, str], ...]:
    """``hydra.sweeper.params`` as sorted ``(dotted key, sweep string)`` pairs."""
    if not isinstance(params, dict) or not params:
        return ()
    return tuple(sorted((k, str(v)) for k, v in flatten(params).items()))


def _split(override: str) -> tuple[str, str]:
    return override_key(override), override.split("=", 1)[1] if "=" in override else ""
