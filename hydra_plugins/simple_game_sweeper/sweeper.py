"""A Hydra sweeper that tunes hyperparameters with Optuna, with pruning and shared studies.

Why not the published hydra-optuna-sweeper? It pins optuna<3 (which breaks on SQLAlchemy 2)
and its jobs only hand back a final score, so a hopeless trial always runs to the end. Here
each job is told which trial it is (``tuning.*`` overrides); the job opens the study itself,
reports every periodic evaluation and stops when the pruner says so
(simple_game/training/tuning.py). The work is done in ``_impl.py``, which Hydra's plugin scan
skips, so Optuna is imported only when a sweep runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hydra.core.plugins import Plugins
from hydra.core.utils import JobReturn
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig


class OptunaSweeper(Sweeper):
    """``hydra/sweeper=optuna``: see the module docstring and docs/sweeps.md."""

    def __init__(
        self,
        sampler: Any,
        pruner: Any,
        direction: str,
        storage: str | None,
        study_name: str | None,
        n_trials: int,
        n_jobs: int,
        seeds_per_trial: int,
        heartbeat_s: int,
        params: dict[str, Any],
    ) -> None:
        # Hydra builds nested ``_target_`` configs before calling us: ``sampler`` is already an
        # Optuna sampler, and ``pruner`` a pruner, which proves its config works before any job
        # starts. The pruner is then unused here: pruning is decided inside each job
        # (simple_game/training/tuning.py builds it from the same hydra.sweeper.pruner config); the
        # sweeper only records what the jobs decided.
        self.sampler = sampler
        self.direction = direction
        self.storage = storage
        self.study_name = study_name
        self.n_trials = n_trials
        self.n_jobs = n_jobs
        self.seeds_per_trial = seeds_per_trial
        self.heartbeat_s = heartbeat_s
        self.params = params

    def setup(
        self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig
    ) -> None:
        self.hydra_context = hydra_context
        self.config = config
        self.launcher = Plugins.instance().instantiate_launcher(
            hydra_context=hydra_context, task_function=task_function, config=config
        )

    def sweep(self, arguments: list[str]) -> list[Sequence[JobReturn]]:
        from hydra_plugins.simple_game_sweeper._impl import Sweep, SweepSettings

        settings = SweepSettings(
            direction=self.direction,
            storage=self.storage,
            study_name=self.study_name,
            n_trials=self.n_trials,
            n_jobs=self.n_jobs,
            seeds_per_trial=self.seeds_per_trial,
            heartbeat_s=self.heartbeat_s,
            params=self.params,
        )
        return Sweep(settings, self.sampler, self.config, self.launcher).run(arguments)
