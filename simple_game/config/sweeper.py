"""The Optuna sweeper's settings (``hydra.sweeper.*``): their schema and ranges.

The sweeper itself is a Hydra plugin (``hydra_plugins/simple_game_sweeper``), which registers
this schema with Hydra as ``hydra/sweeper=simple_game_optuna``; the project's
``conf/hydra/sweeper/optuna.yaml`` builds on it. It lives here, with the rest of the config's
schemas, so that the command-line checks (preflight) can read its ranges without importing the
plugin: the plugin depends on the package, never the reverse.
"""

# No ``from __future__ import annotations`` here: Hydra's plugin scan imports the plugin's
# module outside sys.modules, and dataclasses built from there cannot resolve string annotations.
from dataclasses import dataclass, field
from typing import Any

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
