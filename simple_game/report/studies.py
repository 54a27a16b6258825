"""Optuna studies behind Optuna sweeps: best value, best parameters, trials by state.

A study lives in an Optuna storage (a database), not in the run directories, so it is read
through Optuna's own API. Which study and which storage a sweep used is found, in order:

1. ``optimization_results.yaml``, which the project's sweeper (hydra_plugins/
   simple_game_sweeper) writes into the sweep directory when the sweep ends;
2. the jobs' ``tuning.study`` / ``tuning.storage`` overrides, while the sweep still runs;
3. ``hydra.sweeper.storage`` / ``study_name`` in multirun.yaml (the hydra-optuna-sweeper
   convention), or a SQLite file (``*.db``, ``*.sqlite``) inside the sweep directory.

A storage shared by many sweeps (the default ``multirun/optuna.db``) holds many studies,
so without a study name only a storage inside the sweep directory is read. If the storage
cannot be opened, the numbers saved in the results file are shown instead. Optuna is
imported only when a sweep has a study: it is slow to import.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simple_game.records.paths import SweepPaths
from simple_game.report.runs import override_key
from simple_game.report.sweeps import Sweep, load_yaml

if TYPE_CHECKING:
    import optuna

SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
SQLITE_PREFIX = "sqlite:///"
TOP_TRIALS = 5  # trials listed per study, best first


@dataclass(frozen=True)
class Trial:
    number: int
    state: str  # COMPLETE, PRUNED, FAIL, RUNNING, WAITING
    value: float | None
    params: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Study:
    """What the report shows about one Optuna study."""

    name: str
    sweep: str  # the (newest) sweep directory that ran it, relative to the report's root
    direction: str  # "maximize" or "minimize"
    counts: tuple[tuple[str, int], ...]  # trials per state, e.g. (("COMPLETE", 18), ("PRUNED", 2))
    best: Trial | None
    top: tuple[Trial, ...]  # best first; empty when only the results file could be read
    best_overrides: str | None  # best_overrides.txt (relative path) when the sweeper wrote one
    problem: str  # why the storage could not be read, "" when it was


def find_study(root: Path, sweep_dir: Path, sweep: Sweep) -> tuple[str | None, str] | None:
    """(study name or None for "every study in it", storage URL) of a sweep, or None."""
    results = load_yaml(SweepPaths(sweep_dir).optuna_results)
    tuning = {
        override_key(o): _unquote(o.split("=", 1)[1])
        for job in sweep.jobs
        for o in job.overrides
        if override_key(o).startswith("tuning.") and "=" in o
    }
    name = (
        results.get("study_name") or tuning.get("tuning.study") or sweep.settings.get("study_name")
    )
    url = results.get("storage") or tuning.get("tuning.storage") or sweep.settings.get("storage")
    if isinstance(url, str) and url.startswith(SQLITE_PREFIX):
        # sqlite:///relative.db is relative to the directory the sweep was launched from.
        url = SQLITE_PREFIX + str(root / url[len(SQLITE_PREFIX) :])
    if not url:
        files = [p for p in sorted(sweep_dir.iterdir()) if p.suffix in SQLITE_SUFFIXES]
        url = f"{SQLITE_PREFIX}{files[0]}" if files else None
    if url is None or (name is None and not _inside(url, sweep_dir)):
        return None
    return (str(name) if name else None), str(url)


def read_study(root: Path, sweep_dir: Path, sweep: Sweep) -> list[Study]:
    """The sweep's study (or every study in a storage inside the sweep directory)."""
    found = find_study(root, sweep_dir, sweep)
    if found is None:
        return []
    name, url = found
    best_file = SweepPaths(sweep_dir).best_overrides
    extra = {
        "sweep": sweep.path,
        "best_overrides": best_file.relative_to(root).as_posix() if best_file.exists() else None,
    }
    try:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        names = [name] if name else sorted(optuna.get_all_study_names(storage=url))
        return [_summarise(optuna.load_study(study_name=n, storage=url), **extra) for n in names]
    except Exception as err:  # noqa: BLE001 - moved or offline storage: fall back to the file
        results = load_yaml(SweepPaths(sweep_dir).optuna_results)
        if not results:
            raise
        return [_from_results(results, f"storage not readable: {err}", **extra)]


def _from_results(
    results: dict[str, Any], problem: str, sweep: str, best_overrides: str | None
) -> Study:
    """A study from the sweeper's results file alone (no per-trial details)."""
    params = results.get("best_params") or {}
    best = (
        Trial(
            number=int(results["best_trial"]),
            state="COMPLETE",
            value=float(results["best_value"]),
            params=tuple(sorted((str(k), _fmt(v)) for k, v in params.items())),
        )
        if results.get("best_trial") is not None and results.get("best_value") is not None
        else None
    )
    counts = results.get("trials") or {}
    return Study(
        name=str(results.get("study_name") or "?"),
        sweep=sweep,
        direction=str(results.get("direction") or "?"),
        counts=tuple(sorted((str(k).upper(), int(v)) for k, v in counts.items() if v)),
        best=best,
        top=(),
        best_overrides=best_overrides,
        problem=problem,
    )


def _summarise(study: optuna.Study, sweep: str, best_overrides: str | None) -> Study:
    from optuna.trial import TrialState

    maximize = study.direction.name == "MAXIMIZE"
    trials = [
        Trial(
            number=t.number,
            state=t.state.name,
            value=t.value,
            params=tuple(sorted((k, _fmt(v)) for k, v in t.params.items())),
        )
        for t in study.get_trials(deepcopy=False)
    ]
    done = [t for t in trials if t.state == TrialState.COMPLETE.name and t.value is not None]
    done.sort(key=lambda t: (-t.value if maximize else t.value, t.number))  # type: ignore[operator]
    return Study(
        name=study.study_name,
        sweep=sweep,
        direction="maximize" if maximize else "minimize",
        counts=tuple(sorted(Counter(t.state for t in trials).items())),
        best=done[0] if done else None,
        top=tuple(done[:TOP_TRIALS]),
        best_overrides=best_overrides,
        problem="",
    )


def _fmt(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _unquote(value: str) -> str:
    """An override's value as the config gets it: Hydra's quotes and backslash escapes
    removed (``sqlite\\:////a.db`` and ``'sqlite:////a.db'`` -> ``sqlite:////a.db``)."""
    if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return re.sub(r"\\(.)", r"\1", value)


def _inside(url: str, folder: Path) -> bool:
    return url.startswith(SQLITE_PREFIX) and Path(url[len(SQLITE_PREFIX) :]).parent == folder
