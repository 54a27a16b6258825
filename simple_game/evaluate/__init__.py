"""``python -m simple_game.evaluate run=<dir>``: score, record or watch an agent on full games.

Training-time evaluations are short (a few games) and use whatever settings the run had.
This command re-plays any checkpoint of a run on as many games as you like, on exactly the
game set-up the run trained with (rebuilt from its saved ``.hydra/config.yaml``), and
reports the score the way papers do:

* full games: an episode ends at game over, not at a lost life, and scores are not clipped
  (``envs.build.make_env(..., evaluation=True)``);
* actions sampled from the policy by default (``deterministic=false``), the convention of
  rl-zoo3 and CleanRL for Atari: an argmax policy can get stuck, e.g. never press FIRE;
* optionally sticky actions (``sticky_actions=0.25``) in evaluation only: a robustness probe,
  not the protocol of Machado et al. 2018 (docs/evaluation.md);
* the raw score next to the human-normalised score (:mod:`simple_game.records.scores`).

``agent=random`` plays the same games with uniform random actions: the baseline every
score should be compared with. docs/evaluation.md is the user guide.

The steps: :mod:`.target` finds what to play, :mod:`.play` plays it, :mod:`.result` saves
and prints the outcome; :func:`evaluate` runs them in that order.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from simple_game.errors import UserError

if TYPE_CHECKING:
    from stable_baselines3.common.type_aliases import PolicyPredictor
    from stable_baselines3.common.vec_env import VecEnv

    from simple_game.config.schema import EnvConf
    from simple_game.evaluate.explain import ExplainedGames
    from simple_game.evaluate.target import Target

DEFAULT_EPSILON = 0.01  # conf/config.yaml's train.eval_epsilon, for runs saved before it
OBSERVATION_STEPS = 60  # observation=true: steps played first, so the frames show motion


def check_options(cfg: DictConfig) -> None:
    """Rules between options (each option's own range is checked by its schema)."""
    from simple_game.evaluate.play import display_available

    if cfg.watch and (cfg.video or cfg.gif):
        raise UserError(
            "watch=true: a live window and a recording exclude each other; drop one", key="watch"
        )
    explaining = cfg.explain or cfg.saliency or cfg.saliency_step is not None
    montage = cfg.montage or cfg.compare is not None
    if montage and (cfg.agent == "random" or explaining or cfg.watch or cfg.observation):
        raise UserError(
            "montage=true: it plays the run's saved models on its own; drop agent=random, "
            "explain, saliency, watch and observation",
            key="montage",
        )
    if explaining and cfg.agent == "random":
        raise UserError(
            "explain=true: agent=random has no network to explain; evaluate a run's model",
            key="explain",
        )
    if explaining and cfg.watch:
        raise UserError(
            "explain=true: the explained games are recorded, not shown live; drop watch=true",
            key="watch",
        )
    if cfg.watch and not display_available():
        raise UserError(
            "watch=true: no display here (DISPLAY/WAYLAND_DISPLAY unset); "
            "use video=true to record mp4 files instead",
            key="watch",
        )


def eval_epsilon(cfg: DictConfig, target: Target) -> float:
    """``epsilon=``, else the run's ``train.eval_epsilon``, else 0.01 (runs saved before it)."""
    if cfg.epsilon is not None:
        return float(cfg.epsilon)
    return float(OmegaConf.select(target.cfg, "train.eval_epsilon", default=DEFAULT_EPSILON))


@dataclass
class Session:
    """Everything an evaluation plays with, once the command line is checked."""

    target: Target
    env_cfg: EnvConf  # the run's game, with this command's sticky_actions
    seed: int
    venv: VecEnv
    agent: PolicyPredictor
    model_steps: int | None  # training steps of the checkpoint (None: random agent)
    epsilon: float | None  # a Q-learner's fixed chance of a random action (model/acting.py)


def prepare(cfg: DictConfig, render_mode: str | None) -> Session:
    """Find the target, build its game and its agent (``check_options`` came first).

    Every input is checked before anything is written (and before torch is imported: bad
    input fails within a second).
    """
    from simple_game.evaluate.target import find_target

    target = find_target(cfg)
    from hydra.utils import get_class
    from stable_baselines3.common.utils import set_random_seed

    from simple_game.envs.build import EVAL_SEED_OFFSET
    from simple_game.evaluate.play import RandomAgent
    from simple_game.evaluate.target import build_env, run_env
    from simple_game.model.acting import evaluation_agent
    from simple_game.model.device import configure_threads, resolve_device

    device = resolve_device(str(cfg.device), key="device")
    env_cfg = run_env(target.cfg)
    if cfg.sticky_actions is not None:
        env_cfg = dataclasses.replace(env_cfg, sticky_actions=float(cfg.sticky_actions))
    # One game feeds the network one frame at a time: extra torch threads only add
    # synchronisation (on a busy 2-core machine: 7 ms per step with 1 thread, 100 ms with 2).
    configure_threads(1)
    seed = int(cfg.seed) if cfg.seed is not None else int(target.cfg.seed) + EVAL_SEED_OFFSET
    set_random_seed(seed)  # python, numpy, torch: sampled actions repeat with the seed
    venv = build_env(target, env_cfg, seed, render_mode)
    if target.checkpoint is None:
        return Session(
            target, env_cfg, seed, venv, RandomAgent(venv.action_space, seed), None, None
        )
    model = get_class(target.cfg.algo._target_).load(target.checkpoint, device=device)
    epsilon = eval_epsilon(cfg, target)
    agent, fixed = evaluation_agent(model, bool(cfg.deterministic), epsilon, seed)
    return Session(target, env_cfg, seed, venv, agent, int(model.num_timesteps), fixed)


def evaluate(cfg: DictConfig) -> dict[str, Any]:
    """Play the games the evaluate config asks for; write and return the result."""
    from simple_game.evaluate.explain import play_explained
    from simple_game.evaluate.play import GameTracker, play
    from simple_game.evaluate.result import format_header, save_result, settings, summarise
    from simple_game.records.paths import RunPaths
    from simple_game.records.video import video_fps
    from simple_game.training.tally import play_tally

    explaining = bool(cfg.explain or cfg.saliency or cfg.saliency_step is not None)
    recording = bool(cfg.video or cfg.gif) or explaining
    session = prepare(cfg, "human" if cfg.watch else "rgb_array" if recording else None)
    target, venv = session.target, session.venv
    videos = RunPaths(target.out_dir).videos if recording else None
    fps = video_fps(session.env_cfg.wrapper.frame_skip)
    tally = play_tally(session.agent, session.env_cfg, venv.num_envs)
    print(format_header(settings(cfg, session)), flush=True)  # before the games' lines
    started = time.monotonic()
    try:
        episodes, deterministic = int(cfg.episodes), bool(cfg.deterministic)
        if explaining:
            games = explained_games(cfg, session, fps)
            rewards, frames = play_explained(
                games.agent, venv, episodes, deterministic, games, tally
            )
        else:
            games = GameTracker(venv, videos, target.label, fps, bool(cfg.gif), episodes)
            rewards, frames = play(session.agent, venv, episodes, deterministic, games, tally)
    finally:
        venv.close()
    seconds = time.monotonic() - started
    result = summarise(cfg, session, rewards, frames, games, seconds, tally.summary())
    saved = save_result(target.out_dir, target.label, result)
    result["file"] = str(saved)
    if sum(result.get("action_counts") or []):
        from simple_game.records.action_plots import plot_action_chart

        chart = saved.with_name(f"{saved.stem}_actions.png")
        title = format_header(result).splitlines()[0].removeprefix("Evaluating ")
        result["actions_chart"] = str(plot_action_chart(
            result["action_names"], result["action_counts"], result["policy_entropy"], title, chart
        ))  # fmt: skip
    return result


def explained_games(cfg: DictConfig, session: Session, fps: float) -> ExplainedGames:
    """The recorder of ``explain=true`` games, after printing what saliency will cost."""
    from simple_game.envs.games import action_names
    from simple_game.evaluate.explain import ExplainedGames, saliency_cost
    from simple_game.model.acting import EvaluationAgent
    from simple_game.records.paths import RunPaths

    agent, target = session.agent, session.target
    assert isinstance(agent, EvaluationAgent)  # check_options refused the random agent
    every = int(cfg.saliency_every) if cfg.saliency or cfg.saliency_step is not None else 0
    if every:  # timed on a blank observation: resetting the games here would change them
        blank = np.zeros(session.venv.observation_space.shape, dtype=np.uint8)
        print(saliency_cost(agent, blank, every), flush=True)
    steps = f"{session.model_steps:,} steps"
    title = f"{target.cfg.algo.name} on {session.env_cfg.name}, {target.label} ({steps})"
    still = None
    if cfg.saliency_step is not None:
        step = int(cfg.saliency_step)
        still = (step, RunPaths(target.out_dir).saliency(target.label, step))
    return ExplainedGames(
        agent,
        RunPaths(target.out_dir).videos,
        target.label,
        title,
        list(action_names(session.env_cfg.id)),
        fps,
        bool(cfg.gif),
        saliency_every=every,
        still=still,
    )


def show_observation(cfg: DictConfig, steps: int = OBSERVATION_STEPS) -> Path:
    """Play ``steps`` agent steps, then save what the network sees beside the real screen."""
    from simple_game.records.observation import save_observation_picture
    from simple_game.records.paths import RunPaths
    from simple_game.records.video import screen

    session = prepare(cfg, "rgb_array")
    venv = session.venv
    try:
        obs = venv.reset()
        for _ in range(steps):
            action, _ = session.agent.predict(obs, deterministic=bool(cfg.deterministic))
            obs, _, _, _ = venv.step(action)
        picture = screen(venv)
    finally:
        venv.close()
    target = session.target
    path = RunPaths(target.out_dir).observation(target.label)
    title = (
        f"{target.label} on {session.env_cfg.id}: the observation after {steps} agent steps, "
        "as the network gets it"
    )
    return save_observation_picture(obs[0], picture, path, title)
