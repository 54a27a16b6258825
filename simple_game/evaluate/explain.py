"""``explain=true``: every game recorded with what the network said at each step beside it.

Each game becomes ``<run>/videos/<checkpoint>_explained_ep<N>.mp4`` (and ``.gif`` with
``gif=true``): the screen the agent saw when it decided, beside a panel (records/panel.py) with
the action it took, every action's Q-value or probability, and its value estimate over the game
so far. ``<checkpoint>_explained_ep<N>.jsonl`` beside it holds the same numbers, one row per
step, for your own analysis. ``saliency=true`` tints the screen where blurring changes the
network's output most (model/saliency.py), every ``saliency_every``-th step (a map costs a few
hundred forward passes, so its cost is measured and printed first).

The loop is SB3's ``evaluate_policy``'s, written out because every step must reach the panel:
the screen before the step, the network's outputs for the observation (the agent acts on them),
then the reward and score the action led to.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from simple_game.model.acting import EvaluationAgent
from simple_game.records.panel import GameTrace, PanelStep, draw_frame

if TYPE_CHECKING:
    from stable_baselines3.common.vec_env import VecEnv

    from simple_game.records.video import GameRecorder
    from simple_game.training.tally import PlayTally


class ExplainedGames:
    """Records each game with its panel; ``steps`` and ``files`` as evaluate's tracker has."""

    def __init__(
        self,
        agent: EvaluationAgent,
        folder: Path,
        label: str,
        title: str,
        actions: list[str],
        fps: float,
        gif: bool,
        saliency_every: int = 0,  # 0: no saliency
        still: tuple[int, Path] | None = None,  # a step of game 1 to save as a picture, where
    ) -> None:
        self.agent, self.folder, self.label, self.title = agent, folder, label, title
        self.actions, self.fps, self.gif = actions, fps, gif
        self.saliency_every, self.still = saliency_every, still
        self.still_saved: Path | None = None
        self.steps: list[int] = []
        self.files: list[dict[str, Any]] = []
        self._new_game()

    def _new_game(self) -> None:
        from simple_game.records.video import GameRecorder

        game = len(self.steps) + 1
        self.stem = self.folder / f"{self.label}_explained_ep{game:02d}"
        # The panel makes frames 4 times the screen's size: x264's fastest preset encodes them
        # in 1 ms instead of 2.7 (a larger file, still a few MB a game).
        self.recorder: GameRecorder = GameRecorder(self.stem, self.fps, self.gif, "ultrafast")
        self.trace, self.rows, self.score, self.heat = GameTrace(), [], 0.0, None

    def step(self, observation: np.ndarray, screen: np.ndarray, action: int, reward: float) -> None:
        """Draw one step: the screen the agent decided on, and what its network said."""
        out = self.agent.last
        assert out is not None
        n = len(self.rows)
        if self.saliency_every and n % self.saliency_every == 0:
            self.heat = heat_map(self.agent, observation)
        if self.still is not None and not self.steps and n == self.still[0]:
            from simple_game.records.observation import save_saliency_picture

            heat = heat_map(self.agent, observation)
            title = f"{self.title}: where blurring changes the output most, game 1 step {n}"
            self.still_saved = save_saliency_picture(
                screen, observation, heat, self.still[1], title
            )
            print(f"  saliency picture of step {n}: {self.still_saved}", flush=True)
        self.score += reward
        values = out.q_values if out.q_values is not None else out.probs
        assert values is not None
        step = PanelStep(
            game=len(self.steps) + 1,
            step=n,
            action=action,
            action_name=self.actions[action],
            explored=bool(self.agent.explored[0]),
            values=[float(v) for v in values[0]],
            kind="q" if out.q_values is not None else "policy",
            value=float(out.value[0]),
            reward=reward,
            score=self.score,
            spread=None
            if out.quantile_spread is None
            else [float(s) for s in out.quantile_spread[0]],
        )
        self.trace.add(step)
        self.rows.append(step.row())
        self.recorder.add(draw_frame(screen, step, self.trace, self.title, self.actions, self.heat))

    def end_game(self) -> None:
        """The game is over: close its video, write its rows, start the next game's."""
        paths = self.recorder.close()
        rows = self.stem.with_suffix(".jsonl")
        rows.write_text("".join(json.dumps(r) + "\n" for r in self.rows))
        self.steps.append(len(self.rows))
        self.files.append({"episode": len(self.steps), "frames": self.recorder.frames,
                           "files": [str(p) for p in [*paths, rows]]})  # fmt: skip
        print(f"  game {len(self.steps)}: score {self.score:g}, {len(self.rows):,} steps, "
              f"{', '.join(str(p) for p in paths)}", flush=True)  # fmt: skip
        self._new_game()


def heat_map(agent: EvaluationAgent, observation: np.ndarray) -> np.ndarray:
    """The saliency of one observation, scaled to [0, 1] (its own maximum).

    Its 289 perturbed copies go through the network in batches, which every core speeds up;
    evaluate plays its one game with one torch thread (a single observation gains nothing
    from more), so the threads are raised for the map and set back after it.
    """
    import torch as th

    from simple_game.model.saliency import network_score, saliency
    from simple_game.records.machine import usable_cores

    playing = th.get_num_threads()
    th.set_num_threads(usable_cores())
    try:
        raw = saliency(observation, network_score(agent.model))
    finally:
        th.set_num_threads(playing)
    top = float(raw.max())
    return raw / top if top > 0 else raw


def saliency_cost(agent: EvaluationAgent, observation: np.ndarray, every: int) -> str:
    """Time one saliency map, and say what the explained games will cost."""
    from simple_game.model.saliency import patches

    started = time.monotonic()
    heat_map(agent, observation)
    seconds = time.monotonic() - started
    per_1000 = 1000 / every * seconds
    return (
        f"saliency: {patches():,} blurred copies of the observation through the network per map "
        f"({seconds:.2f} s here), one map every {every} steps: about {per_1000 / 60:.1f} "
        "minutes per 1,000 steps of play on top of the game"
    )


def play_explained(
    agent: EvaluationAgent,
    venv: VecEnv,
    episodes: int,
    deterministic: bool,
    games: ExplainedGames,
    tally: PlayTally,
) -> tuple[list[float], list[int]]:
    """Full-game scores and emulator frame counts of ``episodes`` explained games."""
    from simple_game.records.video import screen

    scores: list[float] = []
    frames: list[int] = []
    observation = venv.reset()
    while len(scores) < episodes:
        shown = screen(venv)
        actions, _ = agent.predict(observation, deterministic=deterministic)
        observation_then = observation
        observation, rewards, dones, infos = venv.step(actions)
        tally({"i": 0, "actions": actions, "reward": rewards[0], "done": dones[0],
               "info": infos[0]}, {})  # fmt: skip
        games.step(observation_then[0], shown, int(actions[0]), float(rewards[0]))
        if dones[0]:
            episode = infos[0].get("episode", {})
            scores.append(float(episode.get("r", games.score)))
            frames.append(int(episode.get("l", 0)))
            games.end_game()
    return scores, frames
