"""Check command-line overrides before Hydra starts a run, with one-line messages.

Hydra reports a typo as several lines plus a hint about HYDRA_FULL_ERROR, and only after it
has created the run directory. A learner deserves one line that names the key and what is
allowed, and no half-made run. This module composes the config once with Hydra's own compose
API (for a sweep: with the first value of every swept key) and checks it.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from omegaconf import DictConfig, OmegaConf

from simple_game.config import CONF_DIR, GROUPS, ConfigError, check_group_option, validate

_MISSING = object()


def _did_you_mean(key: str, cfg: DictConfig) -> str:
    parent, _, leaf = key.rpartition(".")
    node = OmegaConf.select(cfg, parent) if parent else cfg
    if not isinstance(node, DictConfig):
        return ""
    close = difflib.get_close_matches(leaf, [str(k) for k in node], n=1)
    if close:
        return f"; did you mean {parent + '.' if parent else ''}{close[0]}?"
    return f"; keys here: {', '.join(str(k) for k in node)}"


def _one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def check_overrides(overrides: Sequence[str], heavy: bool = True) -> DictConfig:
    """Compose the config the overrides describe and validate it; raise ConfigError if bad.

    :param heavy: also check the device and the game id (imports torch and ale-py).
    """
    from hydra import compose, initialize_config_dir
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    try:
        parsed = OverridesParser.create().parse_overrides(list(overrides))
    except HydraException as err:
        raise ConfigError(_one_line(err)) from err

    groups, values = [], []
    for override in parsed:
        key = override.key_or_group
        if key.startswith("hydra") or (override.package or "").startswith("hydra"):
            # launcher, sweeper and output-dir settings are Hydra's own, and so is a group
            # placed into them, e.g. search_space@hydra.sweeper.params=a2c
            continue
        if override.is_sweep_override():
            choices = list(override.sweep_string_iterator()) if override.is_discrete_sweep() else []
            if not choices:
                continue  # an interval: only the Optuna sweeper samples it
            line = f"{override.get_key_element()}={choices[0]}"
        else:
            choices = [override.get_value_element_as_str()]
            line = override.input_line
        if key in GROUPS:
            for choice in choices:
                check_group_option(key, choice)
            groups.append(line)
        else:
            values.append((key, override.is_add() or override.is_delete(), line))

    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        try:
            base = compose("config", overrides=groups)
            for key, adds_or_deletes, _ in values:
                if (
                    not adds_or_deletes
                    and OmegaConf.select(
                        base, key, default=_MISSING, throw_on_resolution_failure=False
                    )
                    is _MISSING
                ):
                    raise ConfigError(f"{key} is not a config key{_did_you_mean(key, base)}")
            cfg = compose("config", overrides=groups + [line for _, _, line in values])
            validate(cfg)
        except (HydraException, OmegaConfBaseException) as err:
            raise ConfigError(_one_line(err)) from err

    if heavy:
        from simple_game.envs import UnknownGameError, check_game_id
        from simple_game.hardware import DeviceUnavailableError, resolve_device

        try:
            resolve_device(cfg.hardware.device)
            check_game_id(cfg.env.id)
        except (DeviceUnavailableError, UnknownGameError) as err:
            raise ConfigError(str(err)) from err
    return cfg


def preflight(argv: Sequence[str]) -> str | None:
    """The one-line error for ``python -m simple_game argv``, or None if it may start."""
    from hydra._internal.utils import get_args_parser

    args, _ = get_args_parser().parse_known_args(list(argv))
    if args.help or args.hydra_help or args.info or args.shell_completion:
        return None
    try:
        check_overrides(args.overrides, heavy=args.cfg is None)
    except ConfigError as err:
        return str(err)
    return None
