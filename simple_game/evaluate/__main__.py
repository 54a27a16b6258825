"""``python -m simple_game.evaluate``: check the command line, then run the Hydra app.

Hydra's own messages for a bad option are several lines plus a hint about HYDRA_FULL_ERROR;
the command line is checked first, with the same one-line checker as training.
"""

from __future__ import annotations

import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig

from simple_game.config.groups import CONF_DIR
from simple_game.config.overrides import compose_checked
from simple_game.config.schema import EvaluateConf, rules
from simple_game.config.validate import check_rules
from simple_game.errors import UserError, exit_for

COMMAND = "simple_game.evaluate"


def check_command_line(argv: list[str]) -> DictConfig:
    """The evaluate config ``argv`` describes, checked; :class:`UserError` if bad."""
    own_rules = rules(EvaluateConf)
    cfg = compose_checked("evaluate", [a for a in argv if "=" in a], ["env"], own_rules, COMMAND)
    check_rules(cfg, own_rules)
    return cfg


@hydra.main(config_path=str(CONF_DIR), config_name="evaluate", version_base="1.3")
def evaluate_app(cfg: DictConfig) -> None:
    # Hydra turns an exception into a traceback and exit code 1: bad input stops here.
    try:
        run_evaluation(cfg)
    except UserError as err:
        exit_for(err)


def run_evaluation(cfg: DictConfig) -> None:
    """``plot_only=true``: redraw the learning curve; otherwise evaluate and print the table."""
    from simple_game.evaluate import check_options, evaluate, show_observation
    from simple_game.evaluate.result import format_report

    check_options(cfg)  # every rule between options, before anything runs or is written
    if cfg.observation:
        print(f"what the network sees: {show_observation(cfg)}")
        return
    if cfg.montage or cfg.compare is not None:
        from simple_game.evaluate.montage import make_montage

        make_montage(cfg)
        return
    if cfg.plot_only:
        from simple_game.evaluate.target import load_run_config
        from simple_game.records.action_plots import NO_ACTION_COUNTS, plot_action_mix
        from simple_game.records.plots import plot_learning_curve

        if cfg.run is None:
            raise UserError("run=: plot_only=true needs a run directory", key="run")
        run_dir = Path(str(cfg.run))
        load_run_config(run_dir)
        print(f"learning curve: {plot_learning_curve(run_dir)}")
        mix = plot_action_mix(run_dir)
        print(f"actions at each evaluation: {mix}" if mix else NO_ACTION_COUNTS)
        return
    print(format_report(evaluate(cfg)))


def main() -> None:
    try:
        check_command_line(sys.argv[1:])
    except UserError as err:
        exit_for(err)
    evaluate_app()


if __name__ == "__main__":
    main()
