"""Optuna studies behind Optuna sweeps: best value, best parameters, trials by state.

A study lives in an Optuna storage, not in the run directories, so it is read through
Optuna's own API. The storage is found from the sweep's settings in multirun.yaml
(``hydra.sweeper.storage`` and ``study_name``, the hydra-optuna-sweeper convention), or
else as a SQLite file (``*.db``, ``*.sqlite``, ``*.sqlite3``) inside the sweep directory.
Optuna is imported only when a sweep has a study: it is slow to import.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from simple_game.report.sweeps import Sweep

SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
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
    sweep: str  # the sweep directory it belongs to (relative to the report's root)
    direction: str  # "maximize" or "minimize"
    counts: tuple[tuple[str, int], ...]  # trials per state, e.g. (("COMPLETE", 18), ("PRUNED", 2))
    best: Trial | None
    top: tuple[Trial, ...]


def storage_url(root: Path, sweep_dir: Path, sweep: Sweep) -> str | None:
    """Where the sweep's study is stored, as an Optuna storage URL, or None."""
    storage = sweep.settings.get("storage")
    if isinstance(storage, str) and storage:
        # sqlite:///relative.db is relative to the directory the sweep was launched from.
        prefix = "sqlite:///"
        if storage.startswith(prefix) and not Path(storage[len(prefix) :]).is_absolute():
            return prefix + str(root / storage[len(prefix) :])
        return storage
    for path in sorted(sweep_dir.iterdir()):
        if path.suffix in SQLITE_SUFFIXES and path.is_file():
            return f"sqlite:///{path}"
    return None


def read_studies(url: str, sweep: Sweep) -> list[Study]:
    """The study named in the sweep's settings, or every study in the storage."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    name = sweep.settings.get("study_name")
    names = [str(name)] if name else sorted(optuna.get_all_study_names(storage=url))
    return [_summarise(optuna.load_study(study_name=n, storage=url), sweep.path) for n in names]


def _summarise(study: object, sweep: str) -> Study:
    from optuna.study import Study as OptunaStudy
    from optuna.trial import TrialState

    assert isinstance(study, OptunaStudy)
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
    )


def _fmt(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
