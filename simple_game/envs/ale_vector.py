"""ale-py's C++ Atari env behind SB3's ``VecEnv`` interface (``env.backend=ale_vector``).

``ale_py.vector_env.AtariVectorEnv`` emulates the game and does the DeepMind preprocessing
(frame skip + max-pool, no-op resets, 84x84 grayscale) in C++, each game on a worker thread
of its own: on 2 cores the games step about twice as fast as SB3's Python wrappers in a
``DummyVecEnv``, which play them one after another in Python's single thread (about the same
CPU work per step; the gain is both cores at once). This adapter gives it the semantics of
the SB3 pipeline in :mod:`simple_game.envs.build`, step for step:

* **One C++ env per game.** An ``AtariVectorEnv`` steps all its games together, but SB3's
  ``AtariWrapper`` sometimes plays a few steps in one game alone (next point), so each game
  gets its own single-game ``AtariVectorEnv``. ``step_async`` sends every game its action
  before waiting for any, so the games still run in parallel on their threads.
* **Reset steps.** SB3's ``FireResetEnv`` presses FIRE, then action 2, after every reset of a
  game that has FIRE, and ``EpisodicLifeEnv`` turns a lost life into a reset that first takes
  a NOOP step. The agent never sees these steps; their points count in the game's score (SB3's
  ``Monitor`` sits under the wrappers). The adapter plays the same steps (``_restart``).
* **Rewards** are clipped to their sign here, in training only. The C++ clipping is off,
  because it would hide the real score from the episode statistics.
* **Life loss** ends a training episode through ``life_loss_info=True``: the env reports
  ``terminated`` and the game goes on. (``episodic_life=True`` would restart the whole game
  at every lost life, unlike SB3's ``EpisodicLifeEnv``.)
* **Episode statistics**: at game over, ``info["episode"]`` carries the full game's unclipped
  score and its length in raw frames, exactly what SB3's ``Monitor`` reports in the SB3
  pipeline. ``env_is_wrapped(Monitor)`` says True so that ``evaluate_policy`` counts full
  games from these entries rather than every ``done``.
* **Frames** come out one per step, channel-first ``(n_envs, 1, 84, 84)`` uint8;
  :func:`make_ale_vector_env` stacks them with SB3's ``VecFrameStack``, which also clears the
  stack at every episode end and builds the stacked terminal observations, as in the SB3
  pipeline. ``autoreset_mode="SameStep"`` resets a finished game inside the step, and
  ``info["terminal_observation"]`` is the old game's last frame (``final_obs``, only valid for
  games that really reset; after a lost life the current frame is the terminal one).

With the random no-ops off, both pipelines give the same frames, rewards, dones and episode
statistics for the same actions, step for step (tests/envs/test_ale_vector.py). What differs
(see docs/performance.md): a reset takes 0-29 no-ops drawn by ale-py's generator (SB3: 1-30
from gymnasium's), so the same seed starts different games; at game over the newest frame of
the terminal observation pools a frame from the step before. Learning ignores a finished
game's terminal observation (the ``1 - done`` factor zeroes its value). It is not unused in
general: a game cut at the frame cap (``TimeLimit.truncated``) also resets through
``final_obs``, and is bootstrapped from it: SB3's PPO and A2C add ``gamma * V`` of it to the
last reward (``OnPolicyAlgorithm.collect_rollouts``), PQN ``gamma * max_a Q``, and DQN and
QR-DQN store it as the next observation and, with ``handle_timeout_termination``, bootstrap
from it. Whether its newest frame differs from SB3's there too is not tested. Rendering is
not available: record videos from an ``env.backend=sb3`` env.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import gymnasium as gym
import numpy as np
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import VecFrameStack
from stable_baselines3.common.vec_env.base_vec_env import (
    VecEnv,
    VecEnvIndices,
    VecEnvObs,
    VecEnvStepReturn,
)

from simple_game.envs.games import rom_name
from simple_game.envs.settings import EnvSettings
from simple_game.records.machine import usable_cores

NOOP, FIRE = 0, 1  # action indices in the minimal action set of every game with FIRE


class AleVectorVecEnv(VecEnv):
    """SB3 ``VecEnv`` over one ``ale_py`` ``AtariVectorEnv`` per game (see the module docstring).

    :param game: ROM name, e.g. ``"breakout"``.
    :param n_envs: number of games stepped together.
    :param clip_reward: return reward signs instead of rewards (training).
    :param terminal_on_life_loss: end an episode at each lost life (training).
    :param vector_kwargs: the remaining ``AtariVectorEnv`` arguments (frame skip, sticky
        actions, no-ops, screen size, frame cap).
    """

    def __init__(
        self,
        game: str,
        n_envs: int,
        clip_reward: bool,
        terminal_on_life_loss: bool,
        **vector_kwargs: Any,
    ) -> None:
        from ale_py.vector_env import AtariVectorEnv

        self.render_mode = None  # no render() in the C++ env; VecEnv.__init__ asks for it
        self._games = [
            AtariVectorEnv(
                game,
                1,
                num_threads=1,  # one worker thread per game
                autoreset_mode="SameStep",
                life_loss_info=terminal_on_life_loss,
                episodic_life=False,
                reward_clipping=False,  # clipped below, so the raw score stays available
                use_fire_reset=False,  # FIRE is pressed in _restart, as SB3 does it
                maxpool=True,
                grayscale=True,
                stack_num=1,  # stacked by VecFrameStack (make_ale_vector_env)
                **vector_kwargs,
            )
            for _ in range(n_envs)
        ]
        first = self._games[0]
        super().__init__(n_envs, first.single_observation_space, first.single_action_space)
        # SB3's AtariWrapper adds FireResetEnv only for games with a FIRE action.
        fire = "FIRE" in [action.name for action in first.ale.get_action_set()]
        self._after_reset = [FIRE, 2] if fire else []
        self._after_life_loss = [NOOP, *self._after_reset]
        self.clip_reward = clip_reward
        self._started = time.monotonic()
        self._returns = np.zeros(n_envs, dtype=np.float64)
        # Raw frame at which each current game started: frame_number counts every frame an
        # env ever played, episode_frame_number restarts with each game, so their difference
        # changes exactly when a game was reset.
        self._game_start = np.zeros(n_envs, dtype=np.int64)

    def reset(self) -> VecEnvObs:
        def reset_game(i: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
            seed = self._seeds[i]
            return self._games[i].reset(seed=None if seed is None else np.array([seed]))

        # A seeded reset loads the game's ROM again, about 88 ms of C++ per game: 22 s for 256
        # games one after another. ale-py releases the GIL there, so threads reset the games side
        # by side (on 2 cores: 64 resets 5.7 s in turn, 2.9 s on 2 threads). Building an env
        # holds the GIL (no gain measured), so __init__ builds them in turn.
        with ThreadPoolExecutor(max_workers=usable_cores()) as pool:
            started = list(pool.map(reset_game, range(self.num_envs)))
        frames = []
        for i, (obs, info) in enumerate(started):
            self._returns[i] = 0.0
            self._game_start[i] = _game_start(info)
            frames.append(self._restart(i, self._after_reset, obs))
        self._reset_seeds()
        return np.concatenate(frames)

    def step_async(self, actions: np.ndarray) -> None:
        # Every game gets its action before any result is awaited: they step in parallel.
        # The C++ env asserts int32/int64 actions of shape (1,); SB3 may pass (n, 1).
        actions = np.asarray(actions, dtype=np.int64).reshape(self.num_envs, 1)
        for game, action in zip(self._games, actions, strict=True):
            game.send(action)

    def step_wait(self) -> VecEnvStepReturn:
        frames = []
        rewards = np.zeros(self.num_envs, dtype=np.float32)
        dones = np.zeros(self.num_envs, dtype=bool)
        infos: list[dict[str, Any]] = []
        for i, game in enumerate(self._games):
            obs, reward, terminated, truncated, info = game.recv()
            rewards[i] = reward[0]
            self._returns[i] += reward[0]
            dones[i] = terminated[0] or truncated[0]
            step_info: dict[str, Any] = {"lives": int(info["lives"][0])}
            if dones[i]:
                step_info["TimeLimit.truncated"] = bool(truncated[0] and not terminated[0])
            episode = self._game_over(i, info)
            if episode is not None:  # the C++ env has already started the next game
                step_info["terminal_observation"] = info["final_obs"][0]
                step_info["episode"] = episode
                obs = self._restart(i, self._after_reset, obs)
            elif dones[i]:  # a lost life: the game goes on, this frame is the episode's last
                step_info["terminal_observation"] = obs[0]
                obs = self._restart(i, self._after_life_loss, obs)
            frames.append(obs)
            infos.append(step_info)
        return (
            np.concatenate(frames),
            np.sign(rewards) if self.clip_reward else rewards,
            dones,
            infos,
        )

    def _restart(self, i: int, actions: list[int], obs: np.ndarray) -> np.ndarray:
        """Play SB3's reset ``actions`` in game ``i`` alone; return the frame after them.

        As in SB3, a game that ends during these steps is not reported (SB3's FireResetEnv
        drops the info of its own steps); it just starts again.
        """
        game = self._games[i]
        for action in actions:
            game.send(np.array([action]))
            obs, reward, _, _, info = game.recv()
            self._returns[i] += reward[0]  # Monitor, under SB3's wrappers, counts these points
            if self._game_over(i, info) is not None:
                break
        return obs

    def _game_over(self, i: int, info: dict[str, np.ndarray]) -> dict[str, float] | None:
        """Monitor's ``info["episode"]`` if game ``i`` was just reset, else None."""
        start = _game_start(info)
        if start == self._game_start[i]:
            return None
        episode = {
            "r": float(self._returns[i]),
            "l": int(start - self._game_start[i]),  # raw frames, as Monitor counts
            "t": round(time.monotonic() - self._started, 6),
        }
        self._game_start[i] = start
        self._returns[i] = 0.0
        return episode

    def close(self) -> None:
        for game in self._games:
            game.close()

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        """All games share this adapter's settings, so an attribute has the same value for each."""
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


def _game_start(info: dict[str, np.ndarray]) -> int:
    """The raw frame at which a single-game env's current game started."""
    return int(info["frame_number"][0]) - int(info["episode_frame_number"][0])


def make_ale_vector_env(settings: EnvSettings, n_envs: int, seed: int) -> VecFrameStack:
    """The ``ale_vector`` counterpart of :func:`simple_game.envs.build.make_env` (same settings).

    Game ``i`` is seeded with ``seed + i``.
    """
    venv = AleVectorVecEnv(
        rom_name(settings.env_id),
        n_envs,
        clip_reward=settings.clip_reward,
        terminal_on_life_loss=settings.terminal_on_life_loss,
        repeat_action_probability=settings.sticky_actions,
        max_num_frames_per_episode=settings.max_frames,
        frameskip=settings.frame_skip,
        noop_max=settings.noop_max,
        img_height=settings.screen_size,
        img_width=settings.screen_size,
    )
    venv.seed(seed)
    return VecFrameStack(venv, n_stack=settings.frame_stack)
