"""ale-py's C++ vector env behind SB3's ``VecEnv`` interface (``env.backend=ale_vector``).

``ale_py.vector_env.AtariVectorEnv`` steps all games in C++ threads and does the DeepMind
preprocessing natively (frame skip + max-pool, no-op and FIRE resets, 84x84 grayscale,
frame stack), about twice as fast as SB3's Python wrappers in a ``DummyVecEnv``. Its
observations come out stacked and channel-first, ``(n_envs, 4, 84, 84)`` uint8, which SB3
recognises as a channel-first image: no ``VecFrameStack``/``VecTransposeImage`` on top.

This adapter gives it the semantics of the SB3 pipeline in :mod:`simple_game.envs`:

* **Rewards** are clipped to their sign here, in training only. The C++ clipping is off,
  because it would hide the real score from the episode statistics.
* **Life loss** ends a training episode through ``life_loss_info=True``: the env reports
  ``terminated`` and the game goes on. (``episodic_life=True`` would restart the whole game
  at every lost life, unlike SB3's ``EpisodicLifeEnv``.)
* **Episode statistics**: at game over, ``info["episode"]`` carries the full game's unclipped
  score and its length in raw frames, exactly what SB3's ``Monitor`` reports in the SB3
  pipeline. ``env_is_wrapped(Monitor)`` says True so that ``evaluate_policy`` counts full
  games from these entries rather than every ``done``.
* **Terminal observations**: ``autoreset_mode="SameStep"`` resets a finished game inside
  the step, so the returned observation is the new game's first one and
  ``info["terminal_observation"]`` is the last frame of the old game (taken from
  ``final_obs``, which is only valid for games that really reset; after a life loss the game
  has not reset and the current observation is the terminal one).

Known, small differences from the SB3 pipeline (see docs/performance.md): the grayscale
conversion and resize are ALE's, not OpenCV's, so pixels differ slightly; after a lost life
the frame stack keeps the previous frames (SB3's ``VecFrameStack`` clears it) and nothing
presses FIRE for the agent (SB3's ``FireResetEnv`` does). Rendering is not available: record
videos from an ``env.backend=sb3`` env.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import gymnasium as gym
import numpy as np
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env.base_vec_env import (
    VecEnv,
    VecEnvIndices,
    VecEnvObs,
    VecEnvStepReturn,
)

from simple_game.envs import ale_kwargs, register_atari_games, wrapper_kwargs

if TYPE_CHECKING:
    from omegaconf import DictConfig


def rom_name(env_id: str) -> str:
    """The ROM an env id plays, e.g. ``BreakoutNoFrameskip-v4`` -> ``breakout``.

    Both v4 and v5 ids carry it as the ``game`` argument of their gymnasium registration.
    """
    register_atari_games()
    return str(gym.spec(env_id).kwargs["game"])


class AleVectorVecEnv(VecEnv):
    """SB3 ``VecEnv`` over ``ale_py``'s ``AtariVectorEnv`` (see the module docstring).

    :param game: ROM name, e.g. ``"breakout"``.
    :param n_envs: number of games stepped together.
    :param clip_reward: return reward signs instead of rewards (training).
    :param terminal_on_life_loss: end an episode at each lost life (training).
    :param num_threads: C++ worker threads; 0 means one per core, at most one per game.
    :param vector_kwargs: the remaining ``AtariVectorEnv`` arguments (frame skip, sticky
        actions, no-ops, frame stack, screen size, frame cap).
    """

    def __init__(
        self,
        game: str,
        n_envs: int,
        clip_reward: bool,
        terminal_on_life_loss: bool,
        num_threads: int = 0,
        **vector_kwargs: Any,
    ) -> None:
        from ale_py.vector_env import AtariVectorEnv

        self.render_mode = None  # no render() in the C++ env; VecEnv.__init__ asks for it
        self._env = AtariVectorEnv(
            game,
            n_envs,
            # More threads than games only adds hand-offs (DQN steps a single game).
            num_threads=num_threads or min(n_envs, os.cpu_count() or 1),
            autoreset_mode="SameStep",
            life_loss_info=terminal_on_life_loss,
            episodic_life=False,
            reward_clipping=False,  # clipped below, so the raw score stays available
            use_fire_reset=True,
            maxpool=True,
            grayscale=True,
            **vector_kwargs,
        )
        super().__init__(n_envs, self._env.single_observation_space, self._env.single_action_space)
        self.clip_reward = clip_reward
        self._started = time.monotonic()
        self._returns = np.zeros(n_envs, dtype=np.float64)
        # Raw frame at which each current game started: frame_number counts every frame an
        # env ever played, episode_frame_number restarts with each game, so their difference
        # changes exactly when a game was reset.
        self._game_start = np.zeros(n_envs, dtype=np.int64)
        self._actions = np.zeros(n_envs, dtype=np.int64)

    def reset(self) -> VecEnvObs:
        seeds = None if self._seeds[0] is None else np.asarray(self._seeds, dtype=np.int64)
        obs, info = self._env.reset(seed=seeds)
        self._reset_seeds()
        self._returns[:] = 0.0
        self._game_start = self._start_frames(info)
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        # The C++ env asserts int32/int64 actions of shape (n_envs,); SB3 may pass (n, 1).
        self._actions = np.asarray(actions, dtype=np.int64).reshape(self.num_envs)
        self._env.send(self._actions)

    def step_wait(self) -> VecEnvStepReturn:
        obs, raw_rewards, terminated, truncated, info = self._env.recv()
        raw_rewards = raw_rewards.astype(np.float32)
        self._returns += raw_rewards
        starts = self._start_frames(info)
        game_over = starts != self._game_start
        dones = terminated | truncated
        infos: list[dict[str, Any]] = [{"lives": int(lives)} for lives in info["lives"]]
        for i in np.flatnonzero(dones | game_over):
            infos[i]["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
            if game_over[i]:
                infos[i]["terminal_observation"] = info["final_obs"][i].copy()
                infos[i]["episode"] = {
                    "r": float(self._returns[i]),
                    "l": int(starts[i] - self._game_start[i]),  # raw frames, as Monitor counts
                    "t": round(time.monotonic() - self._started, 6),
                }
                self._returns[i] = 0.0
            else:  # a lost life: the game goes on, this frame is the episode's last
                infos[i]["terminal_observation"] = obs[i].copy()
        self._game_start = starts
        rewards = np.sign(raw_rewards) if self.clip_reward else raw_rewards
        return obs, rewards, dones, infos

    @staticmethod
    def _start_frames(info: dict[str, np.ndarray]) -> np.ndarray:
        return info["frame_number"].astype(np.int64) - info["episode_frame_number"]

    def close(self) -> None:
        self._env.close()

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        """All games share one C++ env, so an attribute has the same value for each."""
        return [getattr(self, attr_name) for _ in self._indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        setattr(self, attr_name, value)

    def env_method(
        self,
        method_name: str,
        *method_args: Any,
        indices: VecEnvIndices = None,
        **method_kwargs: Any,
    ) -> list[Any]:
        raise NotImplementedError(
            f"env_method({method_name!r}): the ale_vector backend has no per-game Python envs; "
            "use env.backend=sb3 for this"
        )

    def env_is_wrapped(
        self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None
    ) -> list[bool]:
        # Claiming Monitor is what makes evaluate_policy trust info["episode"] (full games).
        return [wrapper_class is Monitor for _ in self._indices(indices)]

    def get_images(self) -> Sequence[np.ndarray | None]:
        return [None for _ in range(self.num_envs)]

    def _indices(self, indices: VecEnvIndices) -> Iterable[int]:
        if indices is None:
            return range(self.num_envs)
        return [indices] if isinstance(indices, int) else indices


def make_ale_vector_env(
    env_cfg: DictConfig, n_envs: int, seed: int, evaluation: bool, num_threads: int = 0
) -> AleVectorVecEnv:
    """The ``ale_vector`` counterpart of :func:`simple_game.envs.make_env` (same config keys).

    The emulator settings come from the same helpers as the SB3 pipeline: sticky actions and
    the frame cap from ``ale_kwargs``, preprocessing from ``wrapper_kwargs`` (whose evaluation
    variant turns life-loss ends and clipping off). Game ``i`` is seeded with ``seed + i``.
    """
    emulator = ale_kwargs(env_cfg)
    wrapper = wrapper_kwargs(env_cfg, evaluation)
    venv = AleVectorVecEnv(
        rom_name(env_cfg.id),
        n_envs,
        clip_reward=wrapper["clip_reward"],
        terminal_on_life_loss=wrapper["terminal_on_life_loss"],
        num_threads=num_threads,
        repeat_action_probability=emulator["repeat_action_probability"],
        max_num_frames_per_episode=emulator["max_num_frames_per_episode"],
        frameskip=wrapper["frame_skip"],
        noop_max=wrapper["noop_max"],
        img_height=wrapper["screen_size"],
        img_width=wrapper["screen_size"],
        stack_num=int(env_cfg.frame_stack),
    )
    venv.seed(seed)
    return venv
