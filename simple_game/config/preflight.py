"""Check ``python -m simple_game`` overrides before Hydra starts a run (see :mod:`.overrides`)."""

from __future__ import annotations

from collections.abc import Sequence

from omegaconf import DictConfig, OmegaConf

from simple_game.config.groups import CONF_DIR, GROUPS
from simple_game.config.overrides import compose_checked, parse
from simple_game.config.schema import all_rules
from simple_game.config.validate import validate
from simple_game.errors import UserError


def check_overrides(overrides: Sequence[str], multirun: bool = False) -> DictConfig:
    """The training config the overrides describe, validated; :class:`UserError` if bad."""
    recipe = typed_recipe(overrides)
    if recipe is not None:  # first: another algo would not even compose with the recipe's keys
        check_recipe(recipe, overrides)
    cfg = compose_checked("config", overrides, GROUPS, all_rules(), "config", multirun)
    validate(cfg)
    check_hydra(overrides)
    return cfg


def typed_recipe(overrides: Sequence[str]) -> str | None:
    """The one recipe the command line names (``recipe=pong_pqn``) when it exists, else None
    (no recipe, a sweep over several, or a name composing will refuse)."""
    values = [o.split("=", 1)[1] for o in overrides if o.split("=", 1)[0].lstrip("+~") == "recipe"]
    recipe = values[-1] if values else None  # the last value wins, as in Hydra
    if recipe is None or not (CONF_DIR / "recipe" / f"{recipe}.yaml").is_file():
        return None
    return recipe


def check_hydra(overrides: Sequence[str]) -> None:
    """Hydra's own settings (``hydra.*``, ``hydra/...=``): keys that exist, values of the
    right type, and the Optuna sweeper's ranges (n_trials and the like), before a run starts."""
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from simple_game.config.overrides import did_you_mean, type_error
    from simple_game.config.schema import rules
    from simple_game.config.sweeper import OptunaSweeperConf
    from simple_game.config.validate import check_rules

    hydra_only = [
        o
        for o in overrides
        if o.lstrip("+~").startswith("hydra") and "hydra.sweeper.params." not in o  # sampled
    ]
    if not hydra_only:
        return
    sweeper_rules = rules(OptunaSweeperConf, "hydra.sweeper.")
    groups = [o for o in hydra_only if o.lstrip("+~").startswith("hydra/")]
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        try:
            base = compose("config", overrides=groups, return_hydra_config=True)
            for override in parse([o for o in hydra_only if o.lstrip("+~").startswith("hydra.")]):
                key = override.key_or_group
                parent = key.rpartition(".")[0]
                if (
                    not override.is_add()
                    and _select(base, key) is _ABSENT
                    and isinstance(_select(base, parent), DictConfig)
                ):
                    raise UserError(
                        f"{key} is not a Hydra setting{did_you_mean(key, base)}", key=key
                    )
            cfg = compose("config", overrides=hydra_only, return_hydra_config=True)
        except (HydraException, OmegaConfBaseException) as err:
            raise UserError(type_error(err, hydra_only, sweeper_rules)) from err
    if "hydra/sweeper=optuna" in hydra_only:
        check_rules(cfg, sweeper_rules)


_ABSENT = object()


def _select(cfg: DictConfig, key: str) -> object:
    return OmegaConf.select(cfg, key, default=_ABSENT, throw_on_resolution_failure=False)


def recipe_choices(recipe: str) -> dict[str, str]:
    """The groups a recipe sets (``{"algo": "pqn", "env": "pong"}``), from its defaults list.

    A recipe may build on another (``- pong_pqn`` in breakout_pqn's list): the base recipe's
    choices come first and the recipe's own overrides replace them, as Hydra composes them.
    """
    defaults = OmegaConf.load(CONF_DIR / "recipe" / f"{recipe}.yaml").get("defaults", [])
    choices: dict[str, str] = {}
    for entry in defaults:
        if isinstance(entry, str):  # another recipe, or _self_
            if entry != "_self_":
                choices.update(recipe_choices(entry))
            continue
        for key, option in dict(entry).items():
            choices[key.removeprefix("override").strip().lstrip("/").split("@")[0]] = option
    return choices


# The groups a recipe is fitted to; another hardware runs the same recipe, slower or faster.
FITTED_GROUPS = ("algo", "env")


def check_recipe(recipe: str, overrides: Sequence[str]) -> None:
    """A recipe is fitted to one algorithm on one game: another choice would run other
    settings under its name (and against its reference curves)."""
    choices = {g: o for g, o in recipe_choices(recipe).items() if g in FITTED_GROUPS}
    for override in parse(overrides):
        group, option = override.key_or_group, override.get_value_element_as_str()
        if group in choices and option != choices[group]:
            raise UserError(
                f"{group}={option}: recipe={recipe} is fitted to "
                f"{' '.join(f'{g}={o}' for g, o in choices.items())}; drop {group}= "
                "or pick a recipe for it (conf/recipe/)",
                key=group,
            )


# Hydra's run modes, of which a command line may name one: flag -> its parsed attribute.
_MODES = {"--run": "run", "-m": "multirun", "--cfg": "cfg", "--info": "info",
          "--shell-completion": "shell_completion"}  # fmt: skip


def preflight(argv: Sequence[str]) -> DictConfig | None:
    """The config ``python -m simple_game argv`` will train, checked; :class:`UserError` if bad.

    None when nothing will train: ``--help``, ``--info`` and shell completion are left to
    Hydra, ``--cfg`` only prints the (checked) config.
    """
    from hydra._internal.utils import get_args_parser

    args, _ = get_args_parser().parse_known_args(list(argv))
    if args.help or args.hydra_help:
        return None
    modes = [flag for flag, on in _MODES.items() if getattr(args, on)]
    if len(modes) > 1:  # Hydra itself would answer with a ValueError traceback
        hint = ""
        if "-m" in modes and "--cfg" in modes:
            hint = (
                "; to see a sweep's first config, drop -m and give each swept key its first value"
            )
        raise UserError(
            f"{' and '.join(modes)}: Hydra takes one of {', '.join(_MODES)} at a time{hint}"
        )
    if args.info or args.shell_completion:
        return None
    cfg = check_overrides(args.overrides, multirun=args.multirun)
    return None if args.cfg else cfg
