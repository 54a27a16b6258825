"""The two set-ups the bench compares: stock Stable-Baselines3 and this project.

* **stock** is the pipeline of SB3's documentation: ``make_atari_env`` + ``VecFrameStack``
  (a ``DummyVecEnv`` of Python-wrapped games), ``"CnnPolicy"`` (SB3's NatureCNN, float32),
  with the same hyperparameters (read from conf/algo) and the same device.
* **project** is exactly what ``python -m simple_game`` builds (``make_env`` + ``build_model``
  from the composed config), plus optional ablations that switch one lever back off.
"""

from __future__ import annotations

from typing import Any

# Ablations: the project's pipeline with one default switched back to SB3's own way.
ABLATIONS: dict[str, list[str]] = {
    "project, env.backend=sb3": ["env.backend=sb3"],
    "project, precision=fp32": ["hardware.precision=fp32"],
    "project, fused_optimizer=false": ["hardware.fused_optimizer=false"],
    "project, memory_format=channels_last": ["hardware.memory_format=channels_last"],
}
# DQN overrides that make a short timed run look like most of a real one: rl-zoo3's 100k
# learning_starts would only time random steps, and its 100k buffer needs ~5.6 GB of RAM;
# a short exploration phase means the greedy policy (a forward pass per step) is timed.
DQN_BENCH_OVERRIDES = [
    "algo.learning_starts=500",
    "algo.buffer_size=10000",
    "algo.exploration_fraction=0.01",
]


def stock_env(cfg: Any, seed: int, n_envs: int | None = None, evaluation: bool = False) -> Any:
    """SB3's documented Atari pipeline, as a user who never heard of this project builds it."""
    from stable_baselines3.common.env_util import make_atari_env
    from stable_baselines3.common.vec_env import VecFrameStack

    from simple_game.envs.games import register_atari_games

    register_atari_games()
    full_games = {"terminal_on_life_loss": False, "clip_reward": False} if evaluation else None
    venv = make_atari_env(
        cfg.env.id, n_envs=n_envs or int(cfg.env.n_envs), seed=seed, wrapper_kwargs=full_games
    )
    return VecFrameStack(venv, n_stack=int(cfg.env.frame_stack))


def stock_model(cfg: Any, env: Any, device: Any) -> Any:
    """SB3's ``CnnPolicy`` with the same hyperparameters as the project's model."""
    from hydra.utils import instantiate

    from simple_game.config.schema import to_run_conf
    from simple_game.model.build import algo_kwargs

    kwargs = algo_kwargs(to_run_conf(cfg).algo)
    model = instantiate(
        kwargs,
        policy="CnnPolicy",
        env=env,
        device=device,
        seed=int(cfg.seed),
        verbose=0,
        _convert_="all",
    )
    return without_log_folder(model)


def project_env(cfg: Any, seed: int, n_envs: int | None = None, evaluation: bool = False) -> Any:
    from simple_game.envs.build import make_env

    return make_env(cfg.env, n_envs=n_envs or int(cfg.env.n_envs), seed=seed, evaluation=evaluation)


def project_model(cfg: Any, env: Any, device: Any) -> Any:
    from simple_game.config.schema import to_run_conf
    from simple_game.model.build import build_model

    return without_log_folder(build_model(to_run_conf(cfg), env, device))


def without_log_folder(model: Any) -> Any:
    """Give ``model`` SB3's silent logger, minus the folder.

    An SB3 model with no logger of its own creates an empty ``/tmp/SB3-<time>`` folder on every
    ``learn()`` (SB3's default log folder); the bench trains dozens of models. Both sides get
    this logger, which writes nothing, as SB3's own does at ``verbose=0``.
    """
    from stable_baselines3.common.logger import Logger

    model.set_logger(Logger(folder=None, output_formats=[]))
    return model
