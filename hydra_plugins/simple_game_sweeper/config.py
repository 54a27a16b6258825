"""The sweeper's settings, registered with Hydra as ``hydra/sweeper=simple_game_optuna``.

The project's ``conf/hydra/sweeper/optuna.yaml`` builds on this schema and adds the packaged
sampler, pruner and search space; the dataclass makes Hydra reject a misspelt setting
(``hydra.sweeper.n_trial=5``) instead of silently ignoring it.
"""

# No ``from __future__ import annotations`` here: Hydra's plugin scan runs this module
# outside sys.modules, where dataclasses cannot resolve string annotations.
from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore


@dataclass
class OptunaSweeperConf:
    _target_: str = "hydra_plugins.simple_game_sweeper.sweeper.OptunaSweeper"
    # Optuna sampler config with a _target_, e.g. {_target_: optuna.samplers.TPESampler, seed: 0}.
    sampler: Any = field(default_factory=lambda: {"_target_": "optuna.samplers.TPESampler"})
    # Optuna pruner config with a _target_; null = never prune.
    pruner: Any = field(default_factory=lambda: {"_target_": "optuna.pruners.MedianPruner"})
    direction: str = "maximize"  # maximize the eval score (minimize for a loss)
    # Optuna storage URL; a relative sqlite path is taken from the directory you launch in.
    storage: str | None = "sqlite:///multirun/optuna.db"
    study_name: str | None = None  # null = a new study per sweep, named after the sweep dir
    n_trials: int = 20  # trials this invocation adds to the study
    n_jobs: int = 1  # trials launched together in one batch (the launcher runs them)
    seeds_per_trial: int = 1  # runs per trial (seed, seed+1, ...); the trial scores their mean
    heartbeat_s: int = 60  # how often in-flight trials are marked alive in the storage
    params: dict[str, Any] = field(default_factory=dict)  # the search space: key -> sweep string


ConfigStore.instance().store(
    group="hydra/sweeper",
    name="simple_game_optuna",
    node=OptunaSweeperConf,
    provider="simple_game_sweeper",
)
