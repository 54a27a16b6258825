"""``python -m simple_game [overrides]``: compose the config with Hydra and train.

Before Hydra creates a run directory, :func:`preflight` checks the overrides, so a typo
gives one line naming the key and what is allowed, not a traceback and an empty run.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig

from simple_game.config import ConfigError
from simple_game.preflight import preflight
from simple_game.resume import expand_resume
from simple_game.sweep_summary import RememberSweepDir, summary_line

log = logging.getLogger("simple_game")


@hydra.main(config_path="../conf", config_name="config", version_base="1.3")
def train_app(cfg: DictConfig) -> float:
    from hydra.core.hydra_config import HydraConfig

    from simple_game.train import run

    return run(cfg, Path(HydraConfig.get().runtime.output_dir))


def main() -> None:
    try:
        argv = expand_resume(sys.argv[1:])
    except ConfigError as err:
        argv, error = [], str(err)
    else:
        error = preflight(argv)
    if error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    sys.argv[1:] = argv
    try:
        train_app()
    finally:  # also after a failed job, when Hydra exits with status 1
        if RememberSweepDir.sweep_dir is not None:
            print(summary_line(RememberSweepDir.sweep_dir), file=sys.stderr)


if __name__ == "__main__":
    main()
