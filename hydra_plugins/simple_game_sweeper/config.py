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

from simple_game.config.schema import ruled, whole


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
    # The ranges below are checked before a sweep starts (simple_game/config/preflight.py).
    n_trials: int = ruled(whole(1), default=20)  # trials this invocation adds to the study
    n_jobs: int = ruled(whole(1), default=1)  # trials launched together in one batch
    seeds_per_trial: int = ruled(whole(1), default=1)  # runs per trial, scored by their mean
    heartbeat_s: int = ruled(whole(1), default=60)  # seconds between "still running" marks
    params: dict[str, Any] = field(default_factory=dict)  # the search space: key -> sweep string


ConfigStore.instance().store(
    group="hydra/sweeper",
    name="simple_game_optuna",
    node=OptunaSweeperConf,
    provider="simple_game_sweeper",
)
