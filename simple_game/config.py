"""Where the configs live, which options each group has, and checks on a composed config.

Hydra composes ``conf/config.yaml`` with one option per group. It rejects unknown keys by
itself, but not a negative step budget or a batch larger than the rollout; :func:`validate`
checks those before anything heavy starts, with one-line messages that name the key and
what is allowed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

CONF_DIR = Path(__file__).resolve().parent.parent / "conf"
GROUPS = ("algo", "env", "policy", "hardware")
# env.backend options: SB3's Python wrappers, or ale-py's C++ vector env (ale_vector_env.py).
ENV_BACKENDS = ("sb3", "ale_vector")


class ConfigError(ValueError):
    """A config value that is not allowed; the message is one line for the console."""


def group_options(group: str) -> list[str]:
    """The options of a config group: the YAML files in ``conf/<group>/``."""
    return sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))


def check_group_option(group: str, option: str) -> None:
    options = group_options(group)
    if option not in options:
        raise ConfigError(f"{group}={option} is not an option; choose one of: {', '.join(options)}")


def _value(cfg: DictConfig, key: str) -> Any:
    return OmegaConf.select(cfg, key, throw_on_missing=True)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check(cfg: DictConfig, key: str, ok: Callable[[Any], bool], allowed: str) -> None:
    value = _value(cfg, key)
    if not ok(value):
        raise ConfigError(f"{key}={value}: must be {allowed}")


def _whole(minimum: int) -> Callable[[Any], bool]:
    """A whole number >= minimum (1e6 is accepted: Hydra reads it as the float 1000000.0)."""
    return lambda v: _is_number(v) and float(v).is_integer() and v >= minimum


def _positive(value: Any) -> bool:
    return _is_number(value) and value > 0


def _schedule_start(cfg: DictConfig, key: str) -> str:
    """``key``, or ``key.start`` when the value is a schedule (e.g. a linear decay)."""
    return f"{key}.start" if isinstance(_value(cfg, key), DictConfig) else key


def validate(cfg: DictConfig) -> None:
    """Raise :class:`ConfigError` on the first value a run cannot use."""
    _check(cfg, "seed", _whole(0), "a whole number >= 0")
    for key in ("train.total_timesteps", "train.n_eval_episodes"):
        _check(cfg, key, _whole(1), "a whole number >= 1")
    for key in ("train.eval_freq", "train.checkpoint_freq", "train.keep_checkpoints"):
        _check(cfg, key, _whole(0), "a whole number >= 0 (0 turns it off)")
    _check(cfg, "train.log_interval_s", _positive, "a number of seconds > 0")

    _check(cfg, "env.n_envs", _whole(1), "a whole number >= 1")
    _check(cfg, "env.frame_stack", _whole(1), "a whole number >= 1")
    _check(cfg, "env.backend", lambda v: v in ENV_BACKENDS, f"one of {', '.join(ENV_BACKENDS)}")
    _check(cfg, "env.sticky_actions", lambda v: _is_number(v) and 0 <= v <= 1, "between 0 and 1")
    _check(cfg, "env.max_frames_per_episode", _whole(1), "a whole number >= 1")
    _check(cfg, "env.wrapper.frame_skip", _whole(1), "a whole number >= 1")
    _check(cfg, "env.wrapper.noop_max", _whole(0), "a whole number >= 0")
    _check(cfg, "env.wrapper.screen_size", _whole(36), "a whole number >= 36 (the CNN's minimum)")

    from simple_game.hardware import DEVICES

    _check(cfg, "hardware.device", lambda v: v in DEVICES, f"one of {', '.join(DEVICES)}")
    _check(cfg, "hardware.torch_threads", _whole(0), "a whole number >= 0 (0 = torch's default)")
    from simple_game.speed import FUSED_OPTIMIZER, MEMORY_FORMATS, PRECISIONS

    _check(cfg, "hardware.precision", lambda v: v in PRECISIONS, f"one of {', '.join(PRECISIONS)}")
    _check(
        cfg,
        "hardware.memory_format",
        lambda v: v in MEMORY_FORMATS,
        f"one of {', '.join(MEMORY_FORMATS)}",
    )
    _check(cfg, "hardware.fused_optimizer", lambda v: v in FUSED_OPTIMIZER, "auto, true or false")

    _check(cfg, _schedule_start(cfg, "algo.learning_rate"), _positive, "a number > 0")
    if "clip_range" in cfg.algo:
        _check(cfg, _schedule_start(cfg, "algo.clip_range"), _positive, "a number > 0")
    _check(cfg, "algo.gamma", lambda v: _is_number(v) and 0 < v <= 1, "in (0, 1]")
    for key in ("n_steps", "batch_size", "n_epochs", "buffer_size", "train_freq", "gradient_steps"):
        if key in cfg.algo:
            _check(cfg, f"algo.{key}", _whole(1), "a whole number >= 1")
    if cfg.algo.name == "ppo":
        rollout = int(cfg.algo.n_steps) * int(cfg.env.n_envs)
        if cfg.algo.batch_size > rollout:
            raise ConfigError(
                f"algo.batch_size={cfg.algo.batch_size}: must be <= the rollout size "
                f"algo.n_steps * env.n_envs = {cfg.algo.n_steps} * {cfg.env.n_envs} = {rollout}"
            )
