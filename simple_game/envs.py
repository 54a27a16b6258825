"""Build the vectorised Atari environments a run trains and evaluates on.

The pipeline is SB3's standard one (``make_atari_env``): ALE game -> Monitor -> AtariWrapper
(no-op reset, frame skip + max-pool, life loss, fire reset, 84x84 grayscale, reward clipping)
-> VecFrameStack -> VecTransposeImage (channel-first for torch).

Two details keep the numbers honest:

* ``Monitor`` sits *inside* the AtariWrapper, so ``info["episode"]`` and ``evaluate_policy``
  see the full game and its real score, even when training ends episodes at each lost life
  and clips rewards to their sign.
* The emulator always runs with ``frameskip=1`` and explicit sticky actions, because the
  AtariWrapper does the frame skipping. ``ALE/<Game>-v5`` ids would otherwise skip 4 frames
  themselves, and the agent would act every 16 frames, silently.

gymnasium and ale-py are imported inside the functions, never at module import, so that
``python -m simple_game --help`` does not load them (see docs/decisions.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from stable_baselines3.common.vec_env import VecTransposeImage

if TYPE_CHECKING:
    from omegaconf import DictConfig
    from stable_baselines3.common.vec_env import VecEnv

# Added to the run's seed for evaluation games, so they never replay the training games.
EVAL_SEED_OFFSET = 10_000


class UnknownGameError(ValueError):
    """``env.id`` names a game that ale-py does not provide."""


class ContiguousVecTransposeImage(VecTransposeImage):
    """``VecTransposeImage`` that returns contiguous arrays.

    SB3's version returns a transposed *view* (strides like (28224, 1, 336, 4)) that is then
    copied to the device as is; Apple's MPS backend has mishandled such inputs. One copy
    here costs little and makes every device see plain C-ordered uint8 frames.
    """

    @staticmethod
    def transpose_image(image: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(VecTransposeImage.transpose_image(image))


def register_atari_games() -> None:
    """Make the ``ALE/...`` and ``...NoFrameskip-v4`` ids known to gymnasium."""
    import ale_py
    import gymnasium as gym

    gym.register_envs(ale_py)


def check_game_id(env_id: str) -> None:
    """Raise :class:`UnknownGameError` with a one-line hint if ale-py lacks ``env_id``."""
    import gymnasium as gym

    register_atari_games()
    if env_id not in gym.registry:
        raise UnknownGameError(
            f"env.id={env_id}: ale-py does not know this game; use an id like "
            "PongNoFrameskip-v4 or ALE/Pong-v5 (list them with "
            '`python -c "import gymnasium as g, ale_py; g.register_envs(ale_py); '
            "print([k for k in g.registry if k.startswith('ALE/')])\"`)"
        )


def ale_kwargs(env_cfg: DictConfig) -> dict[str, Any]:
    """Arguments for ``gym.make`` of the raw emulator, the same for v4 and v5 ids."""
    return {
        "frameskip": 1,  # AtariWrapper skips frames; the emulator must not skip again
        "repeat_action_probability": float(env_cfg.sticky_actions),
        "max_num_frames_per_episode": int(env_cfg.max_frames_per_episode),
    }


def wrapper_kwargs(env_cfg: DictConfig, evaluation: bool) -> dict[str, Any]:
    """AtariWrapper settings; evaluation always plays full games with real scores."""
    kwargs = {
        "noop_max": int(env_cfg.wrapper.noop_max),
        "frame_skip": int(env_cfg.wrapper.frame_skip),
        "screen_size": int(env_cfg.wrapper.screen_size),
        "terminal_on_life_loss": bool(env_cfg.wrapper.terminal_on_life_loss),
        "clip_reward": bool(env_cfg.wrapper.clip_reward),
    }
    if evaluation:
        kwargs.update(terminal_on_life_loss=False, clip_reward=False)
    return kwargs


def make_env(
    env_cfg: DictConfig,
    n_envs: int,
    seed: int,
    evaluation: bool = False,
    render_mode: str | None = None,
) -> VecEnv:
    """Vectorised, frame-stacked, channel-first Atari env for training or evaluation.

    :param env_cfg: the ``env`` config group.
    :param n_envs: number of games stepped together.
    :param seed: seed of the first game; game ``i`` gets ``seed + i``.
    :param evaluation: full games (no life-loss ends) and unclipped rewards.
    :param render_mode: ``"rgb_array"`` to read the real screen for videos (``get_images()``),
        ``"human"`` to open a live window; None renders nothing (fastest).

    ``env.backend`` picks the implementation: ``sb3`` is the pipeline described above,
    ``ale_vector`` (the default) ale-py's C++ env with the same semantics, its games about
    twice as fast (see :mod:`simple_game.ale_vector_env`). The C++ env cannot render, so a
    ``render_mode`` always gets the ``sb3`` pipeline.
    """
    from stable_baselines3.common.env_util import make_atari_env
    from stable_baselines3.common.vec_env import VecFrameStack

    check_game_id(env_cfg.id)
    # .get: configs saved before the key existed mean the sb3 pipeline.
    if env_cfg.get("backend", "sb3") == "ale_vector" and render_mode is None:
        from simple_game.ale_vector_env import make_ale_vector_env

        return make_ale_vector_env(env_cfg, n_envs, seed, evaluation)
    venv = make_atari_env(
        env_cfg.id,
        n_envs=n_envs,
        seed=seed,
        wrapper_kwargs=wrapper_kwargs(env_cfg, evaluation),
        env_kwargs={**ale_kwargs(env_cfg), "render_mode": render_mode},
    )
    venv = VecFrameStack(venv, n_stack=int(env_cfg.frame_stack))
    return ContiguousVecTransposeImage(venv)
