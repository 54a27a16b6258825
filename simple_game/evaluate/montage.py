"""Watch it learn: one video of a run's checkpoints playing the same game start in turn.

``python -m simple_game.evaluate run=<run> montage=true`` plays one full game with each saved
model, oldest first (``checkpoints/*_steps.zip`` and ``final_model.zip``), every one from the
same start (same seed, same no-ops), and strings the first ``montage_seconds`` of each into
``<run>/videos/montage.mp4`` (and ``.gif`` with ``gif=true``), each captioned with its training
steps, its training minutes and that game's final score: a learner sees the agent go from
flailing to winning. ``compare=<another run>`` puts the other run beside it, each segment
matched to that run's model nearest in training ``steps`` or ``minutes`` (``match=``):
``<run>/videos/versus_<other run>.mp4``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from simple_game.errors import UserError
from simple_game.records.checkpoints import list_checkpoints
from simple_game.records.paths import RunPaths

if TYPE_CHECKING:
    from omegaconf import DictConfig

    from simple_game.config.schema import EnvConf

CAPTION_HEIGHT = 44


@dataclass(frozen=True)
class Snapshot:
    """One saved model of a run: where it is, and how far training had got."""

    path: Path
    steps: int
    minutes: float | None  # training minutes at those steps (None: not recorded)


@dataclass
class Clip:
    """What one snapshot did from the common game start."""

    snapshot: Snapshot
    frames: list[np.ndarray]  # the first montage_seconds of the game, raw screens
    score: float  # the whole game's score
    steps: int  # the whole game's agent steps


@dataclass(frozen=True)
class Watched:
    """A run whose saved models the montage plays: its directory, config, game settings
    (converted once for all its clips), caption name and models."""

    path: Path
    cfg: DictConfig
    env: EnvConf
    name: str
    snapshots: list[Snapshot]


def watched(run_dir: Path, run_cfg: DictConfig | None = None, option: str = "run") -> Watched:
    """Read a run for the montage (its models refused if fewer than two); ``run_cfg``: its
    config, when already loaded; ``option``: the key that named it (``run`` or ``compare``)."""
    from simple_game.evaluate.target import load_run_config, run_env

    run_cfg = load_run_config(run_dir, option) if run_cfg is None else run_cfg
    found = snapshots(run_dir, option)
    return Watched(run_dir, run_cfg, run_env(run_cfg), run_name(run_dir), found)


def snapshots(run_dir: Path, option: str = "run") -> list[Snapshot]:
    """The run's periodic checkpoints and its final model, in step order; a run with fewer
    than two is refused (a montage of one model shows nothing change)."""
    from simple_game.records.run_summary import read_summary

    found = dict(list_checkpoints(run_dir))
    final = RunPaths(run_dir).final_model
    summary = read_summary(run_dir)
    steps = summary.timesteps if summary else 0
    if final.is_file() and steps and steps not in found:
        found[steps] = final
    if len(found) < 2:
        what = "only a final model" if found else "no saved model"
        raise UserError(
            f"montage=true: {option}={run_dir} has {what}, and a montage needs two or more: train "
            "with train.checkpoint_freq=<steps> (auto: every 10% of the budget) and "
            "train.keep_checkpoints=0 to keep them all",
            key="montage",
        )
    return [Snapshot(path, s, minutes_at(run_dir, s)) for s, path in sorted(found.items())]


def minutes_at(run_dir: Path, steps: int) -> float | None:
    """Training minutes at ``steps``, interpolated between the run's evaluations."""
    from simple_game.records.evaluations import evaluation_points

    known = [(p.timesteps, p.wall_time_s / 60) for p in evaluation_points(run_dir)
             if p.wall_time_s is not None]  # fmt: skip
    if not known:
        return None
    xs, ys = zip(*[(0, 0.0), *known], strict=True)
    if steps > xs[-1]:  # past the last evaluation: at the run's own speed there
        return ys[-1] + (steps - xs[-1]) * ys[-1] / max(xs[-1], 1)
    return float(np.interp(steps, xs, ys))


def play_clip(
    snapshot: Snapshot, run_cfg: DictConfig, env: EnvConf, cfg: DictConfig, seed: int
) -> Clip:
    """One full game of ``snapshot`` from the common start, in the run's game ``env``; its
    first seconds kept."""
    from hydra.utils import get_class

    from simple_game.envs.build import make_env
    from simple_game.model.acting import evaluation_agent
    from simple_game.records.video import screen, video_fps

    model = get_class(run_cfg.algo._target_).load(snapshot.path, device=str(cfg.device))
    epsilon = (
        float(run_cfg.train.get("eval_epsilon", 0.01))
        if cfg.epsilon is None
        else float(cfg.epsilon)
    )
    agent, _ = evaluation_agent(model, bool(cfg.deterministic), epsilon, seed)
    venv = make_env(env, n_envs=1, seed=seed, evaluation=True, render_mode="rgb_array")
    keep = max(1, int(float(cfg.montage_seconds) * video_fps(env.wrapper.frame_skip)))
    frames: list[np.ndarray] = []
    try:
        observation, score, steps = venv.reset(), 0.0, 0
        while True:
            if len(frames) < keep:
                frames.append(screen(venv).copy())
            actions, _ = agent.predict(observation, deterministic=bool(cfg.deterministic))
            observation, rewards, dones, _ = venv.step(actions)
            score, steps = score + float(rewards[0]), steps + 1
            if dones[0]:
                break
    finally:
        venv.close()
    return Clip(snapshot, frames, score, steps)


def caption(clip: Clip, name: str, width: int) -> np.ndarray:
    """The strip above a clip: whose model, how trained, and how its game ended."""
    from PIL import Image, ImageDraw

    from simple_game.records.panel import BACKGROUND, FAINT, INK, font

    image = Image.new("RGB", (width, CAPTION_HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    minutes = clip.snapshot.minutes
    trained = f"{clip.snapshot.steps:,} steps" + (
        "" if minutes is None else f", {minutes:.0f} min of training"
    )
    draw.text((6, 4), trained, fill=INK, font=font(13))
    draw.text((6, 24), f"{name}: this game {clip.score:+g}", fill=FAINT, font=font(12))
    return np.asarray(image)


def frames_of(clip: Clip, name: str, length: int) -> list[np.ndarray]:
    """The clip's frames at twice the screen's size under its caption, held on its last frame
    to ``length`` frames (so two clips side by side end together)."""
    from simple_game.records.panel import SCALE

    shown = clip.frames + [clip.frames[-1]] * (length - len(clip.frames))
    top = caption(clip, name, shown[0].shape[1] * SCALE)
    return [np.vstack([top, np.repeat(np.repeat(f, SCALE, axis=0), SCALE, axis=1)]) for f in shown]


def nearest(snapshot: Snapshot, others: list[Snapshot], match: str) -> Snapshot:
    """The other run's model nearest in training steps or minutes."""
    if match == "minutes":
        timed = [o for o in others if o.minutes is not None]
        if snapshot.minutes is not None and timed:
            return min(timed, key=lambda o: abs(o.minutes - snapshot.minutes))  # type: ignore[operator]
    return min(others, key=lambda o: abs(o.steps - snapshot.steps))


def make_montage(cfg: DictConfig) -> list[Path]:
    """``montage=true`` (and ``compare=``): play, caption and write the montage video."""
    from simple_game.envs.build import EVAL_SEED_OFFSET
    from simple_game.model.device import configure_threads
    from simple_game.records.video import GameRecorder, video_fps

    if cfg.run is None:
        raise UserError(
            "montage=true: name the run whose models to show (run=<run dir>)", key="run"
        )
    mine = watched(Path(str(cfg.run)))
    configure_threads(1)  # one game at a time: more threads only synchronise (see prepare)
    other = _other_run(cfg, mine)
    seed = int(cfg.seed) if cfg.seed is not None else int(mine.cfg.seed) + EVAL_SEED_OFFSET
    stem = RunPaths(mine.path).videos / (
        "montage" if other is None else f"versus_{other.path.parent.name}_{other.path.name}"
    )
    print(
        f"Watch it learn: {len(mine.snapshots)} models of {mine.path}, one full game each from "
        f"the same start (seed {seed}), the first {float(cfg.montage_seconds):g} s of each"
        + ("" if other is None else f", beside {other.path}'s nearest in training {cfg.match}"),
        flush=True,
    )
    recorder = GameRecorder(stem, video_fps(mine.env.wrapper.frame_skip), bool(cfg.gif))
    for snapshot in mine.snapshots:
        clip = play_clip(snapshot, mine.cfg, mine.env, cfg, seed)
        line = f"  {snapshot.steps:,} steps: {clip.score:+g}"
        if other is None:
            frames = frames_of(clip, mine.name, len(clip.frames))
        else:
            match = nearest(snapshot, other.snapshots, str(cfg.match))
            their = play_clip(match, other.cfg, other.env, cfg, seed)
            length = max(len(clip.frames), len(their.frames))
            left, right = frames_of(clip, mine.name, length), frames_of(their, other.name, length)
            gap = np.zeros((left[0].shape[0], 8, 3), dtype=np.uint8)
            frames = [np.hstack([a, gap, b]) for a, b in zip(left, right, strict=True)]
            line += f"; {their.snapshot.steps:,} steps of the other: {their.score:+g}"
        for frame in frames:
            recorder.add(frame)
        print(line, flush=True)
    paths = recorder.close()
    print(f"  video: {', '.join(str(p) for p in paths)}")
    return paths


def run_name(run_dir: Path) -> str:
    """``pqn seed 0``: what tells a run from another in a caption (320 pixels wide)."""
    from simple_game.records.run_summary import RunSummary, read_summary

    summary = read_summary(run_dir) or RunSummary()
    seed = "" if summary.seed is None else f" seed {summary.seed}"
    return f"{summary.algo or run_dir.parent.name}{seed}"


def _other_run(cfg: DictConfig, mine: Watched) -> Watched | None:
    """The run of ``compare=``, checked to play the same game."""
    from simple_game.evaluate.target import load_run_config

    if cfg.compare is None:
        return None
    other_dir = Path(str(cfg.compare))
    other_cfg = load_run_config(other_dir, "compare")
    if other_cfg.env.id != mine.cfg.env.id:
        raise UserError(
            f"compare={other_dir}: it played {other_cfg.env.id}, run={cfg.run} played "
            f"{mine.cfg.env.id}; compare two runs of one game",
            key="compare",
        )
    return watched(other_dir, other_cfg, "compare")
