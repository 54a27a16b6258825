"""Check a command line's ``key=value`` overrides before Hydra starts, with one-line messages.

Hydra reports a typo as several lines plus a hint about HYDRA_FULL_ERROR, and only after it
has created the run directory. A learner deserves one line that names the key and what is
allowed, and no half-made run. :func:`compose_checked` composes the config once with Hydra's
own compose API (for a sweep: with the first value of every swept key) and turns every
problem into a :class:`~simple_game.errors.UserError`. Training (``preflight``) and
``python -m simple_game.evaluate`` share it.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from omegaconf import DictConfig, OmegaConf

from simple_game.config.groups import CONF_DIR, check_group_option, group_files, group_options
from simple_game.config.schema import Rule
from simple_game.errors import UserError, first_line

if TYPE_CHECKING:
    from hydra.core.override_parser.types import Override

_MISSING = object()


def flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"algo": {"gamma": "choice(...)"}}`` -> ``{"algo.gamma": "choice(...)"}``.

    A search space may be written nested (YAML) or with dotted keys (command line); both
    end up as the dotted config keys the trial's overrides need.
    """
    flat: dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def did_you_mean(key: str, cfg: DictConfig) -> str:
    """``"; did you mean train.total_timesteps?"`` or the keys that exist where ``key`` points."""
    parent, _, leaf = key.rpartition(".")
    node = OmegaConf.select(cfg, parent) if parent else cfg
    if not isinstance(node, DictConfig):
        return ""
    close = difflib.get_close_matches(leaf, [str(k) for k in node], n=1)
    if close:
        return f"; did you mean {parent + '.' if parent else ''}{close[0]}?"
    if not parent:  # a top-level typo may name a key one level down: total_timesteps
        nested = [f"{k}.{leaf}" for k, v in node.items_ex(resolve=False) if _has(v, leaf)]
        if nested:
            return f"; did you mean {nested[0]}?"
    return f"; keys here: {', '.join(str(k) for k in node)}"


def _has(node: Any, key: str) -> bool:
    return isinstance(node, DictConfig) and key in node


def parse(overrides: Sequence[str]) -> list[Any]:
    """Hydra's parsed overrides; a syntax error becomes one line that says how to quote."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    try:
        return OverridesParser.create().parse_overrides(list(overrides))
    except HydraException as err:
        raise UserError(first_line(err)) from err


def compose_checked(
    config_name: str,
    overrides: Sequence[str],
    groups: Sequence[str],
    rules: dict[str, Rule],
    command: str,
    multirun: bool = False,
) -> DictConfig:
    """The config ``overrides`` describe, composed and type-checked; :class:`UserError` if bad.

    :param groups: the config groups of this config (their options are checked first).
    :param rules: the ruled keys of this config (:func:`~.schema.rules`), for type errors.
    :param command: how the user calls this config, for "is not a <command> key".
    :param multirun: the command sweeps (``-m``): a comma list is a sweep, not a mistake.
    """
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    chosen, values = split(overrides, groups, multirun)
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        try:
            base = compose(config_name, overrides=chosen)
            for value in values:
                key = value.key
                found = OmegaConf.select(
                    base, key, default=_MISSING, throw_on_resolution_failure=False
                )
                if not value.adds_or_deletes and found is _MISSING:
                    raise UserError(
                        f"{key} is not a {command} key{did_you_mean(key, base)}", key=key
                    )
                if isinstance(found, bool):
                    _check_boolean(key, value.typed)
            return compose(config_name, overrides=chosen + [v.line for v in values])
        except (HydraException, OmegaConfBaseException) as err:
            raise UserError(type_error(err, [v.line for v in values], rules)) from err


class Value(NamedTuple):
    """One ``key=value`` override, as :func:`compose_checked` checks it."""

    key: str
    adds_or_deletes: bool  # +key=... or ~key: the key need not exist yet
    line: str  # what to compose with (a sweep's first value)
    typed: list[Any]  # the values as Hydra's grammar reads them (``true`` a bool, ``yes`` text)


def split(
    overrides: Sequence[str], groups: Sequence[str], multirun: bool
) -> tuple[list[str], list[Value]]:
    """Group choices (their options checked) and key values, as lines to compose with.

    A sweep (``-m``) is composed with the first value of every swept key; Hydra's own
    settings (``hydra.*``) are left to Hydra.
    """
    from hydra.core.override_parser.types import ValueType

    chosen: list[str] = []
    values: list[Value] = []
    for override in parse(overrides):
        key = override.key_or_group
        if key.startswith("hydra") or (override.package or "").startswith("hydra"):
            # launcher, sweeper and output-dir settings are Hydra's own, and so is a group
            # placed into them, e.g. search_space@hydra.sweeper.params=a2c
            continue
        if override.is_sweep_override() and not multirun:
            raise UserError(
                f"{override.input_line}: a comma list (or range, glob) means one run per value, "
                f"which needs -m; for text with a comma, quote it: {key}='\"...\"'",
                key=key,
            )
        if override.value_type == ValueType.GLOB_CHOICE_SWEEP:
            chosen.append(f"{override.get_key_element()}={glob_choices(override, groups)[0]}")
            continue
        if override.is_sweep_override():
            choices = list(override.sweep_string_iterator()) if override.is_discrete_sweep() else []
            if not choices:
                continue  # an interval: only the Optuna sweeper samples it
            line = f"{override.get_key_element()}={choices[0]}"
            typed = list(override.sweep_iterator())
        else:
            choices = [override.get_value_element_as_str()]
            line = override.input_line
            typed = [override.value()]
        if key in groups:
            for choice in choices:
                check_group_option(key, choice)
            chosen.append(line)
        else:
            values.append(Value(key, override.is_add() or override.is_delete(), line, typed))
    return chosen, values


def glob_choices(override: Override, groups: Sequence[str]) -> list[str]:
    """The options a ``glob(...)`` over a config group picks, each checked to be an option.

    Hydra expands a glob with its config loader, which neither this check (it runs before
    Hydra) nor the Optuna sweeper's parser has; so the group is listed here as Hydra lists it
    (:func:`group_files`, ``_``-names included): a bare ``glob(*)`` would pick ``_common`` or a
    schema, which are not options, and is refused before any job starts.
    """
    key = override.key_or_group
    if key not in groups:
        raise UserError(
            f"{override.input_line}: glob(...) picks options of a config group "
            f"({', '.join(groups)}), not values of a key",
            key=key,
        )
    options = group_options(key)
    choices = override.value().filter(group_files(key))
    if not choices:
        raise UserError(
            f"{override.input_line}: matches no option of {key}; its options: {', '.join(options)}",
            key=key,
        )
    for choice in choices:
        if choice not in options:
            raise UserError(
                f"{override.input_line} picks {choice}, which is not an option of {key}; "
                f"leave the _-names out with glob(*,exclude=_*)",
                key=key,
            )
    return choices


def _check_boolean(key: str, raw: list[Any]) -> None:
    """A true/false key takes Hydra's booleans only (true, false in any case).

    OmegaConf would also read yes/no, on/off and 0/1 as booleans (and an untyped key would
    keep "maybe" as text): a typo must not silently change how a run trains or is scored.
    """
    for value in raw:
        if not isinstance(value, bool):
            raise UserError(f"{key}={value}: must be true or false", key=key)


def type_error(err: BaseException, lines: Sequence[str], rules: dict[str, Rule]) -> str:
    """One line for a composition error: for a value of the wrong type, the key and its rule."""
    from omegaconf.errors import ValidationError

    cause: BaseException | None = err
    while cause is not None and not isinstance(cause, ValidationError):
        cause = cause.__cause__ or cause.__context__
    key = getattr(cause, "full_key", None) if cause is not None else None
    if not key:
        return first_line(err)
    value = next((line.split("=", 1)[1] for line in lines if line.split("=", 1)[0] == key), "")
    rule = rules.get(key)
    if rule is not None:
        message = f"{key}={value}: must be {rule.allowed}"
        try:  # 1e6 or 2.0: Hydra reads a float, which an integer key does not take
            if "whole number" in rule.allowed and float(value).is_integer():
                message += f"; write {int(float(value))}, not {value}"
        except ValueError:
            pass
        return message
    if "bool" in str(cause):
        return f"{key}={value}: must be true or false"
    return f"{key}={value}: {first_line(cause)}"
