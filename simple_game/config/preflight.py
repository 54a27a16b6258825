"""Check ``python -m simple_game`` overrides before Hydra starts a run (see :mod:`.overrides`)."""

from __future__ import annotations

from collections.abc import Sequence

from omegaconf import DictConfig

from simple_game.config.groups import GROUPS
from simple_game.config.overrides import compose_checked
from simple_game.config.schema import all_rules
from simple_game.config.validate import validate


def check_overrides(overrides: Sequence[str], multirun: bool = False) -> DictConfig:
    """The training config the overrides describe, validated; :class:`UserError` if bad."""
    cfg = compose_checked("config", overrides, GROUPS, all_rules(), "config", multirun)
    validate(cfg)
    return cfg


def preflight(argv: Sequence[str]) -> DictConfig | None:
    """The config ``python -m simple_game argv`` will train, checked; :class:`UserError` if bad.

    None when nothing will train: ``--help``, ``--info`` and shell completion are left to
    Hydra, ``--cfg`` only prints the (checked) config.
    """
    from hydra._internal.utils import get_args_parser

    args, _ = get_args_parser().parse_known_args(list(argv))
    if args.help or args.hydra_help or args.info or args.shell_completion:
        return None
    cfg = check_overrides(args.overrides, multirun=args.multirun)
    return None if args.cfg else cfg
