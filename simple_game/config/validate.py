"""Check a composed config before anything heavy starts, with one-line messages.

Hydra and the schemas (:mod:`simple_game.config.schema`) already refuse unknown keys and
wrong types. What is left: the range of each key (its schema :class:`~.schema.Rule`), the
shared algo keys (:data:`~.schema.ALGO_RULES`), and the rules that relate two keys.
"""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig, OmegaConf

from simple_game.config.schema import ALGO_RULES, Rule, all_rules
from simple_game.errors import UserError


def _check(cfg: DictConfig, key: str, rule: Rule) -> None:
    value = OmegaConf.select(cfg, key, throw_on_missing=True)
    if isinstance(value, DictConfig) and "start" in value:  # a schedule: check where it starts
        key, value = f"{key}.start", value.start
    if not rule.check(value):
        raise UserError(f"{key}={value}: must be {rule.allowed}", key=key)


def check_rules(cfg: DictConfig, rules: dict[str, Rule]) -> None:
    """Raise :class:`UserError` on the first key whose value breaks its rule."""
    for key, rule in rules.items():
        _check(cfg, key, rule)


def validate(cfg: DictConfig) -> None:
    """Raise :class:`UserError` on the first value a run cannot use."""
    check_rules(cfg, all_rules())
    for key, rule in ALGO_RULES.items():
        if key in cfg.algo:
            _check(cfg, f"algo.{key}", rule)
    _check_minibatch(cfg)


def _check_minibatch(cfg: DictConfig) -> None:
    """Algorithms that split each rollout into minibatches need a rollout at least that big."""
    if "n_steps" not in cfg.algo or "batch_size" not in cfg.algo:
        return
    batch: Any = cfg.algo.batch_size
    rollout = int(cfg.algo.n_steps) * int(cfg.env.n_envs)
    if batch > rollout:
        raise UserError(
            f"algo.batch_size={batch}: must be <= the rollout size "
            f"algo.n_steps * env.n_envs = {cfg.algo.n_steps} * {cfg.env.n_envs} = {rollout}",
            key="algo.batch_size",
        )
