"""Playing the games of an evaluation: SB3's ``evaluate_policy`` plus a per-game tracker that
counts agent steps and feeds the video recorder."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import gymnasium as gym
    from stable_baselines3.common.type_aliases import PolicyPredictor
    from stable_baselines3.common.vec_env import VecEnv

    from simple_game.records.video import GameRecorder
    from simple_game.training.tally import PlayTally


class RandomAgent:
    """Uniform random actions, with the ``predict`` signature SB3's ``evaluate_policy`` uses."""

    def __init__(self, action_space: gym.spaces.Discrete, seed: int) -> None:
        self.action_space = action_space
        self.action_space.seed(seed)

    def predict(
        self,
        observation: np.ndarray,
        state: Any = None,
        episode_start: Any = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, None]:
        return np.array([self.action_space.sample() for _ in range(len(observation))]), None


class GameTracker:
    """``evaluate_policy`` callback: counts agent steps per game and feeds the video recorder.

    With ``videos`` set, it records each game to ``<videos>/<label>_ep<N>.mp4`` from the
    env's RGB screen. The screen is read after each step, so a video has one frame per agent
    step except the last (at game over the env has already reset to the next game). Each
    finished game prints a line, so a long evaluation shows its progress.
    """

    def __init__(
        self, venv: VecEnv, videos: Path | None, label: str, fps: float, gif: bool, games: int
    ) -> None:
        self.venv = venv
        self.videos, self.label, self.fps, self.gif = videos, label, fps, gif
        self.games = games
        self.steps: list[int] = []  # agent steps of each finished game
        self.files: list[dict[str, Any]] = []  # one entry per recorded game
        self._steps = 0
        self._recorder: GameRecorder | None = None

    def __call__(self, local_vars: dict[str, Any], _globals: dict[str, Any]) -> None:
        from simple_game.records.video import GameRecorder, screen

        self._steps += 1
        if not local_vars["dones"][0]:
            if self.videos is not None:
                if self._recorder is None:
                    stem = self.videos / f"{self.label}_ep{len(self.steps) + 1:02d}"
                    self._recorder = GameRecorder(stem, self.fps, self.gif)
                self._recorder.add(screen(self.venv))
            return
        self.steps.append(self._steps)
        score = local_vars["info"].get("episode", {}).get("r")
        scored = "" if score is None else f": score {score:g}"
        print(
            f"  game {len(self.steps)} of {self.games}{scored}, {self._steps:,} steps", flush=True
        )
        self._steps = 0
        if self._recorder is not None:
            paths = self._recorder.close()
            self.files.append(
                {
                    "episode": len(self.steps),
                    "frames": self._recorder.frames,
                    "files": [str(p) for p in paths],
                }
            )
            self._recorder = None


def play(
    agent: PolicyPredictor,
    venv: VecEnv,
    episodes: int,
    deterministic: bool,
    tracker: GameTracker,
    tally: PlayTally,
) -> tuple[list[float], list[int]]:
    """Full-game scores and emulator frame counts (Monitor's ``l``) of ``episodes`` games;
    ``tally`` counts the actions and values of their steps."""
    from stable_baselines3.common.evaluation import evaluate_policy

    def each_step(local_vars: dict[str, Any], global_vars: dict[str, Any]) -> None:
        tally(local_vars, global_vars)
        tracker(local_vars, global_vars)

    rewards, frames = evaluate_policy(
        agent,
        venv,
        n_eval_episodes=episodes,
        deterministic=deterministic,
        return_episode_rewards=True,
        callback=each_step,
        warn=False,
    )
    return [float(r) for r in rewards], [int(n) for n in frames]


def display_available() -> bool:
    """False on a Linux/BSD machine with no X11 or Wayland display (a server, CI)."""
    if sys.platform.startswith(("linux", "freebsd")):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True  # macOS and Windows always have a window system
