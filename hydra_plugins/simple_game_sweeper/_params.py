"""Turn ``hydra.sweeper.params`` sweep strings into Optuna distributions.

The syntax is Hydra's own override grammar, the one the published hydra-optuna-sweeper
uses, so a search space written for that plugin works here unchanged:

==============================  =================================================
``choice(a, b, c)``             one of the listed values (CategoricalDistribution)
``interval(0.0, 1.0)``          a float in [0, 1] (FloatDistribution)
``int(interval(1, 10))``        an integer in [1, 10] (IntDistribution)
``tag(log, interval(1e-5, 1))`` sampled on a log scale (``log=True``)
``range(0, 3)``                 0, 1 or 2: the END IS EXCLUDED, as in Python and in a
                                Hydra grid (the published plugin includes 3)
``shuffle(range(...))``         the range's values as unordered choices
``glob(*,exclude=_*)``          a config group's options that match, as choices
anything else                   a fixed value passed to every trial
==============================  =================================================

Keeping Hydra's semantics for ``range`` means a space moves between a grid sweep
(``-m``) and an Optuna sweep without changing which values it can produce.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import (
    IntervalSweep,
    Override,
    RangeSweep,
    Transformer,
    ValueType,
)
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from simple_game.config.groups import GROUPS
from simple_game.config.overrides import flatten, glob_choices


def distribution(override: Override) -> BaseDistribution:
    """The Optuna distribution a sweep override describes (see the module table)."""
    value = override.value()
    if isinstance(value, IntervalSweep):
        log = "log" in value.tags
        if isinstance(value.start, int) and isinstance(value.end, int):
            return IntDistribution(value.start, value.end, log=log)
        return FloatDistribution(float(value.start), float(value.end), log=log)
    if isinstance(value, RangeSweep) and not value.shuffle:
        # Hydra's iterator already applies the end-excluded rule; Optuna's bounds are inclusive,
        # so the bounds are the first and last values Hydra would produce.
        values = list(override.sweep_iterator())
        if not values:
            raise ValueError(f"{override.input_line}: the range is empty")
        low, high, step = min(values), max(values), abs(value.step)
        if all(isinstance(v, int) for v in (value.start, value.step)):
            return IntDistribution(int(low), int(high), step=int(step))
        return FloatDistribution(float(low), float(high), step=float(step))
    if override.value_type == ValueType.GLOB_CHOICE_SWEEP:  # a config group's options
        return CategoricalDistribution(glob_choices(override, GROUPS))
    # choice(...) and shuffle(range(...)): unordered options. encode keeps numbers and strings
    # as they are and turns lists/dicts into strings Optuna can store.
    return CategoricalDistribution(list(override.sweep_iterator(transformer=Transformer.encode)))


def search_space(
    params: Mapping[str, Any], arguments: Sequence[str]
) -> tuple[dict[str, BaseDistribution], list[str]]:
    """Split the packaged space plus the command-line arguments into what Optuna samples
    and the overrides every trial gets unchanged.

    A command-line argument replaces the packaged entry for the same key, so
    ``'algo.gamma=choice(0.99,0.999)'`` narrows one range and ``algo.gamma=0.99`` pins it.
    """
    lines = {key: f"{key}={value}" for key, value in flatten(params).items()}
    parser = OverridesParser.create()
    for override in parser.parse_overrides(list(arguments)):
        if (override.package or "").startswith("hydra"):
            continue  # e.g. search_space@hydra.sweeper.params=a2c shaped the sweeper, not the runs
        lines[override.get_key_element()] = override.input_line
    space: dict[str, BaseDistribution] = {}
    fixed: list[str] = []
    for override in parser.parse_overrides(list(lines.values())):
        if override.is_sweep_override():
            space[override.get_key_element()] = distribution(override)
        else:
            fixed.append(override.input_line)
    return space, fixed


def as_override(key: str, value: Any) -> str:
    """``key=value`` in override syntax, quoting strings Hydra would otherwise misread."""
    # Hydra's own quoting of a value for the command line (strings with spaces, lists, ...);
    # its public twin is a method of a parsed Override, which a sampled value is not yet.
    return f"{key}={Override._get_value_element_as_str(value)}"
