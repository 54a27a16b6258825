"""``python -m simple_game.evaluate run=<dir>``: score, record or watch an agent on full games.

Training-time evaluations are short (a few games) and use whatever settings the run had.
This command re-plays any checkpoint of a run on as many games as you like, on exactly the
game set-up the run trained with (rebuilt from its saved ``.hydra/config.yaml``), and
reports the score the way papers do:

* full games: an episode ends at game over, not at a lost life, and scores are not clipped
  (``envs.build.make_env(..., evaluation=True)``);
* actions sampled from the policy by default (``deterministic=false``), the convention of
  rl-zoo3 and CleanRL for Atari: an argmax policy can get stuck, e.g. never press FIRE;
* optionally sticky actions (``sticky_actions=0.25``), the protocol of Machado et al. 2018;
* the raw score next to the human-normalised score (:mod:`simple_game.records.scores`).

``agent=random`` plays the same games with uniform random actions: the baseline every
score should be compared with. docs/evaluation.md is the user guide.

The steps: :mod:`.target` finds what to play, :mod:`.play` plays it, :mod:`.result` saves
and prints the outcome; :func:`evaluate` runs them in that order.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from omegaconf import DictConfig

from simple_game.errors import UserError

if TYPE_CHECKING:
    from stable_baselines3.common.type_aliases import PolicyPredictor


def check_options(cfg: DictConfig) -> None:
    """Rules between options (each option's own range is checked by its schema)."""
    from simple_game.evaluate.play import display_available

    if cfg.watch and (cfg.video or cfg.gif):
        raise UserError(
            "watch=true: a live window and a recording exclude each other; drop one", key="watch"
        )
    if cfg.watch and not display_available():
        raise UserError(
            "watch=true: no display here (DISPLAY/WAYLAND_DISPLAY unset); "
            "use video=true to record mp4 files instead",
            key="watch",
        )


def evaluate(cfg: DictConfig) -> dict[str, Any]:
    """Play the games the evaluate config asks for; write and return the result.

    Every input is checked before anything is written (and before torch is imported: bad
    input fails within a second).
    """
    from simple_game.evaluate.result import save_result, summarise
    from simple_game.evaluate.target import find_target

    check_options(cfg)
    target = find_target(cfg)
    from hydra.utils import get_class
    from stable_baselines3.common.utils import set_random_seed

    from simple_game.envs.build import EVAL_SEED_OFFSET
    from simple_game.evaluate.play import GameTracker, RandomAgent, play
    from simple_game.evaluate.target import build_env
    from simple_game.model.device import configure_threads, resolve_device
    from simple_game.records.paths import RunPaths
    from simple_game.records.video import video_fps

    device = resolve_device(str(cfg.device), key="device")
    env_cfg = target.cfg.env.copy()
    if cfg.sticky_actions is not None:
        env_cfg.sticky_actions = float(cfg.sticky_actions)
    # One game feeds the network one frame at a time: extra torch threads only add
    # synchronisation (on a busy 2-core machine: 7 ms per step with 1 thread, 100 ms with 2).
    configure_threads(1)
    seed = int(cfg.seed) if cfg.seed is not None else int(target.cfg.seed) + EVAL_SEED_OFFSET
    set_random_seed(seed)  # python, numpy, torch: sampled actions repeat with the seed
    recording = bool(cfg.video or cfg.gif)
    render_mode = "human" if cfg.watch else "rgb_array" if recording else None
    venv = build_env(target, env_cfg, seed, render_mode)

    agent: PolicyPredictor
    if target.checkpoint is None:
        agent, model_steps = RandomAgent(venv.action_space, seed), None
    else:
        model = get_class(target.cfg.algo._target_).load(target.checkpoint, device=device)
        agent, model_steps = model, int(model.num_timesteps)

    videos = RunPaths(target.out_dir).videos if recording else None
    tracker = GameTracker(venv, videos, target.label, video_fps(env_cfg), bool(cfg.gif))
    started = time.monotonic()
    try:
        rewards, frames = play(agent, venv, int(cfg.episodes), bool(cfg.deterministic), tracker)
    finally:
        venv.close()
    result = summarise(
        cfg, target, env_cfg, seed, model_steps, rewards, frames, tracker,
        time.monotonic() - started,
    )  # fmt: skip
    result["file"] = str(save_result(target.out_dir, target.label, result))
    return result
