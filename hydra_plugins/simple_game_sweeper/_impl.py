"""The Optuna sweeper's work: studies, trials, results (its plugin class is in sweeper.py).

Hydra's plugin scan imports every module of ``hydra_plugins`` on every command, but skips
those whose name starts with ``_``: Optuna is imported here, so it loads only when a sweep
runs, not on every ``python -m simple_game``.

A Hydra sweeper that tunes hyperparameters with Optuna, with pruning and shared studies.

One loop, in the sweeper process::

    ask Optuna for a batch of trials -> launch one Hydra job per trial (and seed)
    -> tell Optuna how each ended: COMPLETE (its score), PRUNED, or FAIL (its error)

The launcher is whatever ``hydra/launcher`` says (in-process, joblib, submitit/SLURM), so the
same search runs on a laptop or a cluster. The study lives in a database (``storage``), so a
rerun with the same ``study_name`` continues it, and sweeps on several machines pointed at one
PostgreSQL URL share it: Optuna hands out trial numbers atomically, so none runs twice.
"""

from __future__ import annotations

import logging
import math
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from hydra.core.utils import JobReturn, JobStatus
from hydra.plugins.launcher import Launcher
from omegaconf import DictConfig, OmegaConf
from optuna.trial import TrialState

from hydra_plugins.simple_game_sweeper._params import as_override, search_space
from simple_game.records.paths import SweepPaths
from simple_game.text import plural

log = logging.getLogger(__name__)


def resolve_storage(url: str) -> str:
    """Make a relative sqlite path absolute, and create its folder.

    Jobs may run in another working directory (submitit, SLURM), so they must get a path
    that does not depend on where they start.
    """
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url[len(prefix) :].startswith("/"):
        path = Path(url[len(prefix) :]).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        return prefix + str(path)
    return url


def open_study(
    url: str, study_name: str, direction: str, sampler: Any = None, heartbeat_s: int | None = None
) -> tuple[optuna.Study, optuna.storages.RDBStorage]:
    """Create the study, or load it if a study of that name exists (how a rerun resumes); and
    the storage it lives in, whose heartbeats the sweep records.

    Called once by each sweep process before any job starts: several processes creating a
    fresh sqlite study at the same instant can race into an IntegrityError.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # heartbeats
        storage = optuna.storages.RDBStorage(url, heartbeat_interval=heartbeat_s)
    study = optuna.create_study(
        study_name=study_name,
        storage=storage,
        sampler=sampler,
        direction=direction,
        load_if_exists=True,
    )
    return study, storage


@contextmanager
def heartbeats(
    storage: optuna.storages.RDBStorage,
    study: optuna.Study,
    trials: Sequence[optuna.Trial],
    interval_s: int,
) -> Iterator[None]:
    """Mark ``trials`` alive in the storage every ``interval_s`` while their jobs run.

    If this sweep is killed (SIGKILL, a node lost), the beats stop; the next sweep on the
    study finds those trials stale and marks them FAIL instead of leaving them RUNNING forever.
    """
    study_id = storage.get_study_id_from_name(study.study_name)
    ids = [storage.get_trial_id_from_study_id_trial_number(study_id, t.number) for t in trials]
    stop = threading.Event()

    def beat() -> None:
        while True:
            for trial_id in ids:
                storage.record_heartbeat(trial_id)
            if stop.wait(interval_s):
                return

    thread = threading.Thread(target=beat, name="optuna-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def outcome(returns: Sequence[JobReturn]) -> tuple[TrialState, float | None, str | None]:
    """How a trial ended, from its jobs (one per seed): state, mean score, error message.

    Any crash makes the trial FAIL (with the first error); otherwise any pruned seed makes it
    PRUNED (a mean over unfinished runs means nothing); otherwise it scores the mean.
    """
    # A private attribute, on purpose: JobReturn's public return_value re-raises the job's
    # exception (and writes "Error executing job" to stderr); the exception itself is needed
    # to tell a pruned trial from a crashed one, and Hydra offers no public getter for it.
    errors = [r._return_value for r in returns if r.status != JobStatus.COMPLETED]
    crashes = [e for e in errors if not isinstance(e, optuna.TrialPruned)]
    if crashes:
        return TrialState.FAIL, None, f"{type(crashes[0]).__name__}: {crashes[0]}"
    if errors:
        return TrialState.PRUNED, None, None
    value = sum(float(r.return_value) for r in returns) / len(returns)
    if not math.isfinite(value):
        return TrialState.FAIL, None, f"the score is {value}"
    return TrialState.COMPLETE, value, None


def best_overrides(overrides: Sequence[str]) -> list[str]:
    """The best trial's overrides to train with: its hyperparameters and choices, without the
    ``train.*`` settings (a sweep's budget and evaluation schedule are kept short on purpose;
    a full run picks its own)."""
    return [line for line in overrides if not line.lstrip("+~").startswith("train.")]


def dashboard_hint(url: str) -> str:
    """How to browse the study, or how to install the browser when it is not installed."""
    import importlib.util

    if importlib.util.find_spec("optuna_dashboard") is None:
        return (
            'To browse the study, install the dashboard (pip install -e ".[dashboard]") and '
            f"run: optuna-dashboard {url}"
        )
    return f"Browse the study: optuna-dashboard {url}"


def state_counts(study: optuna.Study) -> dict[str, int]:
    """``{"complete": 3, "pruned": 2}``: the study's trials by state."""
    counts: dict[str, int] = {}
    for trial in study.get_trials(deepcopy=False):
        state = trial.state.name.lower()
        counts[state] = counts.get(state, 0) + 1
    return dict(sorted(counts.items()))


def describe(counts: dict[str, int]) -> str:
    """``"5 trials (3 complete, 2 pruned)"``."""
    parts = ", ".join(f"{n} {state}" for state, n in counts.items())
    return plural(sum(counts.values()), "trial") + (f" ({parts})" if parts else "")


@dataclass(frozen=True)
class SweepSettings:
    """``hydra.sweeper.*`` as the sweep uses them (simple_game/config/sweeper.py documents each)."""

    direction: str
    storage: str | None
    study_name: str | None
    n_trials: int
    n_jobs: int
    seeds_per_trial: int
    heartbeat_s: int
    params: Any  # the search space: key -> sweep string


class Sweep:
    """One ``-m hydra/sweeper=optuna`` invocation: ask, launch, tell, for ``n_trials`` trials."""

    def __init__(
        self, settings: SweepSettings, sampler: Any, config: DictConfig, launcher: Launcher
    ) -> None:
        self.settings = settings
        self.sampler = sampler  # built by Hydra from hydra.sweeper.sampler
        self.config = config
        self.launcher = launcher

    def run(self, arguments: list[str]) -> list[Sequence[JobReturn]]:
        params = (
            OmegaConf.to_container(self.settings.params, resolve=True)
            if self.settings.params
            else {}
        )
        space, fixed = search_space(params, arguments)
        sweep_dir = Path(self.config.hydra.sweep.dir)
        name = (
            self.settings.study_name or f"{self.config.get('experiment', 'study')}_{sweep_dir.name}"
        )
        if self.settings.storage is None:
            raise ValueError("hydra.sweeper.storage is null: jobs need a database to report to")
        url = resolve_storage(self.settings.storage)
        study, storage = open_study(
            url, name, self.settings.direction, self.sampler, self.settings.heartbeat_s
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            optuna.storages.fail_stale_trials(study)  # trials a killed sweep left RUNNING
        self._announce(study, url, space)

        if self.settings.seeds_per_trial > 1:
            fixed = [line for line in fixed if not line.startswith("seed=")]
        all_returns: list[Sequence[JobReturn]] = []
        job_idx = 0
        for start in range(0, self.settings.n_trials, self.settings.n_jobs):
            with warnings.catch_warnings():
                # Optuna warns that heartbeats are meant for Study.optimize; here the
                # heartbeats() thread below records them for our ask/tell loop instead.
                warnings.filterwarnings("ignore", message="Heartbeat of storage")
                trials = [
                    study.ask(space)
                    for _ in range(min(self.settings.n_jobs, self.settings.n_trials - start))
                ]
            batch = [job for trial in trials for job in self._jobs(trial, fixed, name, url)]
            returns = self._launch(storage, study, trials, batch, job_idx)
            job_idx += len(batch)
            all_returns.append(returns)

        self._write_results(study, url, sweep_dir)
        return all_returns

    def _announce(self, study: optuna.Study, url: str, space: dict[str, Any]) -> None:
        """What the sweep continues and what it searches, in the log."""
        name = study.study_name
        log.info("Optuna study '%s' (%s): %s so far.", name, url, describe(state_counts(study)))
        if self.settings.study_name is None:
            log.info(
                "A new study for this sweep; to continue it later, rerun with "
                "hydra.sweeper.study_name=%s (and the same storage).",
                name,
            )
        log.info(
            "Searching %s; adding %s, %d at a time.",
            ", ".join(space) or "nothing",
            plural(self.settings.n_trials, "trial"),
            self.settings.n_jobs,
        )

    def _jobs(self, trial: optuna.Trial, fixed: list[str], name: str, url: str) -> list[list[str]]:
        """The overrides of the trial's jobs: one per seed."""
        lines = [*fixed, *(as_override(k, v) for k, v in trial.params.items())]
        # The trial's whole config as overrides: what best_overrides.txt will hold if it
        # wins, even when a later sweep on the study is launched with other fixed values.
        trial.set_user_attr("overrides", lines)
        lines = [
            *lines,
            as_override("tuning.study", name),
            as_override("tuning.storage", url),
            as_override("tuning.trial", trial.number),
        ]
        if self.settings.seeds_per_trial == 1:
            return [lines]
        first = int(self.config.seed)
        return [[*lines, f"seed={first + i}"] for i in range(self.settings.seeds_per_trial)]

    def _launch(
        self,
        storage: optuna.storages.RDBStorage,
        study: optuna.Study,
        trials: list[optuna.Trial],
        batch: list[list[str]],
        job_idx: int,
    ) -> Sequence[JobReturn]:
        """Run one batch of jobs and tell Optuna how each trial ended."""
        told: set[int] = set()
        try:
            with heartbeats(storage, study, trials, self.settings.heartbeat_s):
                returns = list(self.launcher.launch(batch, initial_job_idx=job_idx))
            for i, trial in enumerate(trials):
                per_trial = returns[
                    i * self.settings.seeds_per_trial : (i + 1) * self.settings.seeds_per_trial
                ]
                self._tell(study, trial, per_trial)
                told.add(trial.number)
        except BaseException as err:
            # Ctrl-C, SIGTERM or a launcher error: close the open trials so the storage
            # holds no RUNNING leftovers and a rerun starts clean.
            for trial in trials:
                if trial.number not in told:
                    trial.set_user_attr("error", f"sweep stopped: {type(err).__name__} {err}")
                    study.tell(trial, state=TrialState.FAIL)
            raise
        return returns

    def _tell(self, study: optuna.Study, trial: optuna.Trial, returns: Sequence[JobReturn]) -> None:
        state, value, error = outcome(returns)
        trial.set_user_attr(
            "run_dirs", [str(r.hydra_cfg.hydra.runtime.output_dir) for r in returns]
        )
        if error:
            trial.set_user_attr("error", error)
            log.warning("Trial %d failed: %s", trial.number, error)
        else:
            log.info(
                "Trial %d %s%s",
                trial.number,
                state.name.lower(),
                "" if value is None else f": {value:.3f}",
            )
        study.tell(trial, value, state=state)

    def _write_results(self, study: optuna.Study, url: str, sweep_dir: Path) -> None:
        """The sweep's results file, and the best trial as overrides ready to train with."""
        sweep_dir.mkdir(parents=True, exist_ok=True)
        results: dict[str, Any] = {
            "study_name": study.study_name,
            "storage": url,
            "direction": self.settings.direction,
            "trials": state_counts(study),
            "best_trial": None,
            "best_value": None,
            "best_params": None,
        }
        completed = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if completed:
            best = study.best_trial
            best_file = SweepPaths(sweep_dir).best_overrides
            best_file.write_text("\n".join(best_overrides(best.user_attrs["overrides"])) + "\n")
            results.update(
                best_trial=best.number,
                best_value=best.value,
                best_params=dict(best.params),
                best_run_dirs=best.user_attrs.get("run_dirs"),
                train_best=f"python -m simple_game $(cat {best_file})",
            )
            log.info("Best: trial %d, score %.3f, %s", best.number, best.value, best.params)
            log.info(
                "Train with the best parameters (give it a budget of your own, e.g. "
                "train.total_timesteps=10000000): python -m simple_game $(cat %s)",
                best_file,
            )
        else:
            log.warning(
                "No trial of study '%s' completed yet: no best parameters to write.",
                study.study_name,
            )
        results_file = SweepPaths(sweep_dir).optuna_results
        OmegaConf.save(OmegaConf.create(results), results_file)
        log.info("Results: %s. %s", results_file, dashboard_hint(url))
