"""Instantiate the SB3 model a run trains, from the ``algo`` and ``policy`` config groups.

Each algo config is the keyword arguments of its SB3 class plus ``_target_`` (the class) and
a few project keys (``name``, ``n_envs``) that are not constructor arguments. Hydra's
``instantiate`` builds nested objects too: linear schedules, the feature-extractor class and
A2C's optimizer class are all ``_target_`` entries in conf/.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from hydra.utils import instantiate
from omegaconf import OmegaConf

if TYPE_CHECKING:
    import torch as th
    from stable_baselines3.common.base_class import BaseAlgorithm
    from stable_baselines3.common.vec_env import VecEnv

    from simple_game.config.schema import AlgoConf, HardwareConf, RunConf

# Keys of an algo config that describe the run rather than the SB3 constructor.
PROJECT_KEYS = ("name", "n_envs")
# Algorithms that learn from a replay buffer (their checkpoints can carry it).
OFF_POLICY_ALGOS = ("dqn", "qrdqn")


def keeps_replay_buffer(run: RunConf) -> bool:
    """Whether this run's checkpoints carry its replay buffer (``train.save_replay_buffer``)."""
    return run.algo.name in OFF_POLICY_ALGOS and run.train.save_replay_buffer


def algo_kwargs(algo: AlgoConf) -> dict[str, Any]:
    """The algo config minus project keys and policy_kwargs (merged separately), raw."""
    raw = dataclasses.asdict(algo)
    kwargs = {k: v for k, v in raw.items() if k not in (*PROJECT_KEYS, "policy_kwargs")}
    if kwargs.get("optimize_memory_usage"):
        # SB3's buffer then reads each next observation from the following slot, and refuses
        # its timeout handling beside that: a game cut by the frame cap counts as a real end.
        kwargs["replay_buffer_kwargs"] = {"handle_timeout_termination": False}
    return kwargs


def policy_kwargs(run: RunConf) -> dict[str, Any]:
    """The policy's ``policy_kwargs`` merged with the algo's (the algo wins on conflicts)."""
    merged = OmegaConf.merge(
        OmegaConf.create(run.policy.policy_kwargs or {}),
        OmegaConf.create(run.algo.policy_kwargs or {}),
    )
    return instantiate(merged, _convert_="all")


def build_model(run: RunConf, env: VecEnv, device: th.device) -> BaseAlgorithm:
    """A fresh SB3 model for ``env``, as the composed config describes it."""
    model = instantiate(
        algo_kwargs(run.algo),
        policy=run.policy.policy,
        policy_kwargs=policy_kwargs(run),
        env=env,
        device=device,
        seed=run.seed,
        verbose=0,
        _convert_="all",
    )
    speed_up(model, run.hardware)
    return model


def speed_up(model: BaseAlgorithm, hardware: HardwareConf) -> None:
    """Apply ``hardware.precision`` and ``hardware.memory_format`` (see :mod:`.speed`).

    Call it on loaded models too: the settings live on the model object, not in its zip.
    """
    from simple_game.model.speed import apply_speed_settings, resolve_speed_settings

    settings = resolve_speed_settings(
        hardware.precision, hardware.memory_format, hardware.fused_optimizer, model.device
    )
    apply_speed_settings(model, settings)
