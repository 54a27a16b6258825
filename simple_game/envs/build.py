"""Build the vectorised Atari environments a run trains and evaluates on.

With ``env.backend=sb3`` the pipeline is SB3's standard one (``make_atari_env``): ALE game ->
Monitor -> AtariWrapper (no-op reset, frame skip + max-pool, life loss, fire reset, 84x84
grayscale, reward clipping) -> VecFrameStack -> VecTransposeImage (channel-first for torch).
The default ``ale_vector`` backend does the same steps, up to the frame stack, in ale-py's C++
env (envs/ale_vector.py).

Two details keep the numbers honest:

* ``Monitor`` sits *inside* the AtariWrapper, so ``info["episode"]`` and ``evaluate_policy``
  see the full game and its real score, even when training ends episodes at each lost life
  and clips rewards to their sign.
* With ``env.backend=sb3`` the emulator runs with ``frameskip=1`` and explicit sticky actions,
  because the AtariWrapper does the frame skipping (``ale_vector`` skips frames in C++).
  ``ALE/<Game>-v5`` ids would otherwise skip 4 frames themselves, and the agent would act
  every 16 frames, silently.

Nothing imports this module before a run starts: it loads SB3, gymnasium and ale-py, which
``python -m simple_game --help`` must not (see docs/decisions.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from stable_baselines3.common.vec_env import VecTransposeImage

from simple_game.envs.games import check_game_id
from simple_game.envs.settings import EnvSettings

if TYPE_CHECKING:
    from stable_baselines3.common.vec_env import VecEnv

    from simple_game.config.schema import EnvConf

# Added to the run's seed for evaluation games, so they never replay the training games.
EVAL_SEED_OFFSET = 10_000


class ContiguousVecTransposeImage(VecTransposeImage):
    """``VecTransposeImage`` that returns contiguous arrays.

    SB3's version returns a transposed *view* (strides like (28224, 1, 336, 4)) that is then
    copied to the device as is; Apple's MPS backend has mishandled such inputs. One copy
    here costs little and makes every device see plain C-ordered uint8 frames.
    """

    @staticmethod
    def transpose_image(image: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(VecTransposeImage.transpose_image(image))


def make_env(
    env: EnvConf,
    n_envs: int,
    seed: int,
    evaluation: bool = False,
    render_mode: str | None = None,
) -> VecEnv:
    """Vectorised, frame-stacked, channel-first Atari env for training or evaluation.

    :param env: the ``env`` config group.
    :param n_envs: number of games stepped together.
    :param seed: seed of the first game; game ``i`` gets ``seed + i``.
    :param evaluation: full games (no life-loss ends) and unclipped rewards.
    :param render_mode: ``"rgb_array"`` to read the real screen for videos (``get_images()``),
        ``"human"`` to open a live window; None renders nothing (fastest).

    ``env.backend`` picks the implementation: ``sb3`` is the pipeline described above,
    ``ale_vector`` (the default) ale-py's C++ env with the same semantics, its games about
    twice as fast (see :mod:`simple_game.envs.ale_vector`). The C++ env cannot render, so a
    ``render_mode`` always gets the ``sb3`` pipeline.
    """
    from stable_baselines3.common.env_util import make_atari_env
    from stable_baselines3.common.vec_env import VecFrameStack

    check_game_id(env.id)
    settings = EnvSettings.from_config(env, evaluation)
    if settings.backend == "ale_vector" and render_mode is None:
        from simple_game.envs.ale_vector import make_ale_vector_env

        return make_ale_vector_env(settings, n_envs, seed)
    venv = make_atari_env(
        settings.env_id,
        n_envs=n_envs,
        seed=seed,
        wrapper_kwargs=settings.atari_wrapper_kwargs(),
        env_kwargs={**settings.emulator_kwargs(), "render_mode": render_mode},
    )
    venv = VecFrameStack(venv, n_stack=settings.frame_stack)
    return ContiguousVecTransposeImage(venv)
