"""The config a command line composes to, from anywhere in the project.

Hydra allows one global config loader per process: ``initialize_config_dir`` refuses to start
while another is active, as it is inside a run's own Hydra callbacks (the report refresh at
the end of a run). There the run's loader already reads conf/, so it is used as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def compose(overrides: Sequence[str]) -> Any:
    """The config ``python -m simple_game <overrides>`` would run with, range-checked."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from simple_game.config.groups import CONF_DIR
    from simple_game.config.validate import validate

    if GlobalHydra.instance().is_initialized():  # inside a run: its loader reads conf/
        cfg = hydra_compose("config", overrides=list(overrides))
    else:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            cfg = hydra_compose("config", overrides=list(overrides))
    validate(cfg)
    return cfg
