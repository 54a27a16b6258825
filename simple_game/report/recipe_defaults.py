"""Overrides that say again what their recipe sets today.

A run launched as ``recipe=pong_ppo_fast algo.learning_rate.start=5e-4`` before that value
moved into the recipe trained what ``recipe=pong_ppo_fast`` trains now. The report counts such
an override as no change, so those runs and a learner's plain ``recipe=pong_ppo_fast`` runs are
one set-up (same colour, pooled across seeds). The runs keep what was typed in
.hydra/overrides.yaml; only the report's grouping reads it against today's recipe.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any


@functools.cache
def _recipe_config(recipe: str) -> Any:
    """``recipe=<recipe>`` composed as a run would be, or None when it no longer composes."""
    from simple_game.config.compose import compose

    try:
        return compose([f"recipe={recipe}"])
    except Exception:  # noqa: BLE001 - a recipe deleted or broken since: compare with nothing
        return None


def same_as_recipe(overrides: Sequence[str], recipe: str | None) -> tuple[str, ...]:
    """The ``key=value`` overrides in ``overrides`` whose value ``recipe`` sets today anyway."""
    from hydra.core.override_parser.types import OverrideType
    from omegaconf import OmegaConf

    from simple_game.config.overrides import parse
    from simple_game.errors import UserError

    changes = [o for o in overrides if not o.startswith(("+", "~", "recipe="))]
    if not recipe or not changes:
        return ()
    cfg = _recipe_config(recipe)
    if cfg is None:
        return ()
    same = []
    for line in changes:
        try:
            (override,) = parse([line])
        except UserError:  # a line Hydra cannot read is never "the same"
            continue
        if override.type != OverrideType.CHANGE or override.is_sweep_override():
            continue
        current = OmegaConf.select(cfg, override.key_or_group, default=None)
        if OmegaConf.is_config(current):
            current = OmegaConf.to_container(current, resolve=True)
        if current is not None and current == override.value():
            same.append(line)
    return tuple(same)
