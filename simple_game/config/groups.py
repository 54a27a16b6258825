"""Where the configs live and which options each config group has.

Hydra composes ``conf/config.yaml`` with one option per group, each a YAML file of
``conf/<group>/``. Files whose name starts with ``_`` hold what a group's options share
(``conf/env/_common.yaml``); they are not options.
"""

from __future__ import annotations

from pathlib import Path

from omegaconf import OmegaConf

from simple_game.errors import UserError

CONF_DIR = Path(__file__).resolve().parent.parent.parent / "conf"
GROUPS = ("algo", "env", "policy", "hardware", "recipe")


def group_files(group: str) -> list[str]:
    """Every config Hydra finds in a group, as a ``glob(...)`` sweeps it: the YAML files of
    ``conf/<group>/`` and the schemas stored in Hydra's ConfigStore (``_schema*``, registered
    by config/schema.py), ``_``-names included."""
    from hydra.core.config_store import ConfigStore

    try:
        stored = ConfigStore.instance().list(group)
    except OSError:  # no schema stored for this group
        stored = []
    return sorted(set(_yaml_names(group)) | {n.removesuffix(".yaml") for n in stored})


def group_options(group: str) -> list[str]:
    """The options of a config group: the YAML files in ``conf/<group>/``."""
    return sorted(name for name in _yaml_names(group) if not name.startswith("_"))


def _yaml_names(group: str) -> list[str]:
    return [p.stem for p in (CONF_DIR / group).glob("*.yaml")]


def check_group_option(group: str, option: str) -> None:
    options = group_options(group)
    if option not in options:
        raise UserError(
            f"{group}={option} is not an option; choose one of: {', '.join(options)}", key=group
        )


def describe_groups() -> str:
    """The groups and their options, one line each, for ``python -m simple_game --help``.

    Hydra's own list would also show the ``_``-files and the schemas, which are not options.
    """
    lines = [f"{group}: {', '.join(group_options(group))}" for group in GROUPS]
    searches = ", ".join(group_options("search_space"))
    lines.append(f"search_space@hydra.sweeper.params: {searches}  (Optuna search spaces)")
    return "\n".join(lines)


# conf/config.yaml's help text calls it as ${simple_game_groups:}.
OmegaConf.register_new_resolver("simple_game_groups", describe_groups, replace=True)
