"""``python -m simple_game [overrides]``: compose the config with Hydra and train.

Before Hydra creates a run directory, the command line is checked (``config.preflight``), so
a typo gives one line naming the key and what is allowed, not a traceback and an empty run.
This entry point is the one place that turns errors into exit codes.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig

from simple_game.config.groups import CONF_DIR
from simple_game.config.preflight import preflight
from simple_game.config.resume import check_resumed_config, expand_resume
from simple_game.errors import EXIT_INTERRUPTED, Interrupted, UserError, exit_for
from simple_game.training.sweep_summary import RememberSweepDir, summary_line

log = logging.getLogger("simple_game")


@hydra.main(config_path=str(CONF_DIR), config_name="config", version_base="1.3")
def train_app(cfg: DictConfig) -> float:
    from hydra.core.hydra_config import HydraConfig

    from simple_game.training.run import run

    return run(cfg, Path(HydraConfig.get().runtime.output_dir))


def check_machine(cfg: DictConfig) -> None:
    """What the config asks of this machine: the device exists, ale-py has the game."""
    from simple_game.envs.games import check_game_id
    from simple_game.model.device import resolve_device

    resolve_device(cfg.hardware.device)
    check_game_id(cfg.env.id)


def main() -> None:
    try:
        argv = expand_resume(sys.argv[1:])
        cfg = preflight(argv)
        if cfg is not None:
            if cfg.resume:
                check_resumed_config(cfg, sys.argv[1:])
            check_machine(cfg)
    except UserError as err:
        exit_for(err)
    sys.argv[1:] = argv
    try:
        train_app()
    except Interrupted:
        sys.exit(EXIT_INTERRUPTED)  # the run has said how to resume
    finally:  # also after a failed job, when Hydra exits with status 1
        if RememberSweepDir.sweep_dir is not None:
            print(summary_line(RememberSweepDir.sweep_dir), file=sys.stderr)


if __name__ == "__main__":
    main()
