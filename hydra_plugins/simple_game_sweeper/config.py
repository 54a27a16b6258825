"""The sweeper's settings, registered with Hydra as ``hydra/sweeper=simple_game_optuna``.

The schema itself is the package's (:mod:`simple_game.config.sweeper`), so the command-line
checks read its ranges without importing this plugin. The dataclass makes Hydra reject a
misspelt setting (``hydra.sweeper.n_trial=5``) instead of silently ignoring it.
"""

from hydra.core.config_store import ConfigStore

from simple_game.config.sweeper import OptunaSweeperConf

ConfigStore.instance().store(
    group="hydra/sweeper",
    name="simple_game_optuna",
    node=OptunaSweeperConf,
    provider="simple_game_sweeper",
)
