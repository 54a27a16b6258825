"""Turn run directories into rows: find them, read their small files, decide their status.

Only the small files are read (summary.json, evaluations.jsonl, and .hydra/ when
summary.json is missing), so deleting checkpoints, videos or TensorBoard events never
drops a run from the report. Anything broken becomes a row with status ``broken`` and a
reason, never an exception: the report must survive whatever a crash left behind.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from simple_game.records.evaluations import Evaluation, pool_by_steps, read_evaluations
from simple_game.records.paths import OPTUNA_RESULTS_FILE, SWEEP_CONFIG_FILE, RunPaths
from simple_game.records.run_summary import RunSummary, is_stale, read_summary, summary_from
from simple_game.records.summary import read_overrides
from simple_game.report.recipe_defaults import same_as_recipe

# Where Hydra puts runs, relative to the directory the user launched from (conf/config.yaml).
RUN_ROOTS = ("runs", "multirun")
# Hydra's grid sweeper writes multirun.yaml into every -m sweep directory; the project's
# Optuna sweeper writes its results file when its sweep ends.
SWEEP_FILES = frozenset({SWEEP_CONFIG_FILE, OPTUNA_RESULTS_FILE})
# runs/<experiment>/<timestamp> is depth 2; leave room for experiment names with a slash.
MAX_DEPTH = 4

TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}_\d{2}-\d{2}(-\d{2})?")
# The top-level `train:` block of a saved config: its line and the indented (or blank) ones.
TRAIN_BLOCK = re.compile(r"^train:[^\n]*\n(?:[ \t#][^\n]*(?:\n|$)|\n)*", re.MULTILINE)
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when installed

# Overrides that are not hyperparameters: they have their own column (algo, env, seed, ...)
# or only change bookkeeping (logging, checkpoints, the Optuna trial a run reports to),
# not what is learned.
OWN_COLUMN = frozenset(
    {"algo", "env", "policy", "seed", "note", "experiment", "train.total_timesteps"}
)
BOOKKEEPING = frozenset(
    {
        "hardware",
        "report",
        "resume",
        "train.progress_bar",
        "train.log_interval_s",
        "train.eval_freq",
        "train.checkpoint_freq",
        "train.keep_checkpoints",
        "train.save_replay_buffer",
        "train.video",
    }
)
BOOKKEEPING_PREFIXES = ("hydra.", "hardware.", "tuning.")


def is_bookkeeping(key: str) -> bool:
    return key in BOOKKEEPING or key.startswith(BOOKKEEPING_PREFIXES)


class CurvePoint(NamedTuple):
    """One evaluation on a run's curve."""

    steps: int
    minutes: float | None  # training minutes when it was played (None in older runs' files)
    mean: float


@dataclass(frozen=True)
class Score:
    """An evaluation result: mean and spread of full-game scores (std unknown = None)."""

    mean: float
    std: float | None = None


@dataclass(frozen=True)
class Run:
    """One row of the report: everything shown about a run, read from its small files."""

    path: str  # run directory, POSIX path relative to the report's root
    game: str
    env_id: str | None
    experiment: str
    algo: str
    policy: str
    seed: int | None
    status: str
    started: str  # "YYYY-MM-DD HH:MM" (UTC) or "" when unknown
    timesteps: int | None
    total_timesteps: int | None
    wall_time_s: float | None
    steps_per_s: float | None
    final: Score | None
    best: Score | None
    overrides: tuple[str, ...]
    note: str
    problem: str  # why the run is broken/failed, "" otherwise
    curve: tuple[CurvePoint, ...]  # every evaluation, by step count
    recipe: str | None  # the recipe the run followed (conf/recipe/), None without one
    sweep: str | None  # the sweep directory for multirun jobs
    learning_curve: str | None  # links to files other tools write into the run directory
    video: str | None
    ended_by: str | None = None  # how it ended: a key of records.run_summary.ENDINGS
    target_score: float | None = None  # train.target_score of its config (None: no target)
    reached: CurvePoint | None = None  # the first evaluation whose mean reached the target
    final_replayed: bool = False  # its final evaluation replayed the previous one's games
    # overrides whose value its recipe sets today anyway (report.recipe_defaults)
    same_as_recipe: tuple[str, ...] = ()

    @property
    def hyperparameters(self) -> list[str]:
        """The overrides that change what is learned (see OWN_COLUMN and BOOKKEEPING), less
        those that repeat what the run's recipe sets today."""
        return [
            o
            for o in self.overrides
            if (key := override_key(o)) not in OWN_COLUMN
            and not is_bookkeeping(key)
            and o not in self.same_as_recipe
        ]


def override_key(override: str) -> str:
    """``"++algo.gamma=0.9"`` -> ``"algo.gamma"`` (Hydra's +, ++ and ~ prefixes dropped)."""
    return override.split("=", 1)[0].lstrip("+~")


def find_run_dirs(root: Path) -> tuple[list[Path], list[Path]]:
    """All run directories and sweep directories under ``root/runs`` and ``root/multirun``.

    A run directory holds summary.json or .hydra/. The walk never enters one, so big
    checkpoint and TensorBoard folders cost nothing. Both lists are sorted so the report
    does not depend on directory order.
    """
    runs: list[Path] = []
    sweeps: set[Path] = set()

    def walk(folder: Path, depth: int) -> None:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        names = {e.name for e in entries}
        paths = RunPaths(folder)
        if paths.summary.name in names or paths.hydra_dir.name in names:
            runs.append(folder)
            if is_sweep_dir(root, folder.parent):
                sweeps.add(folder.parent)
            return
        if names & SWEEP_FILES:  # a sweep whose jobs have not started yet
            sweeps.add(folder)
        if depth == MAX_DEPTH:
            return
        for entry in entries:
            if entry.is_dir(follow_symlinks=False) and not entry.name.startswith("."):
                walk(Path(entry.path), depth + 1)

    for name in RUN_ROOTS:
        walk(root / name, 1)
    return sorted(runs), sorted(sweeps)


def is_sweep_dir(root: Path, folder: Path) -> bool:
    """Hydra's layout multirun/<time>/<job>/, or a folder a sweeper left its files in."""
    return folder.parent == root / "multirun" or any((folder / f).exists() for f in SWEEP_FILES)


def read_run(root: Path, run_dir: Path, now: datetime) -> Run:
    """One run as a report row; a missing or broken summary.json gives status ``broken``."""
    summary = read_summary(run_dir)
    problem = ""
    if summary is None:
        exists = RunPaths(run_dir).summary.exists()
        problem = "summary.json unreadable" if exists else "no summary.json (died before training?)"
    known = summary or _from_hydra_config(run_dir)  # what the run is, at least
    lines = read_evaluations(run_dir)  # one parse for the scores and the curve
    history = _history(lines)
    status = "broken" if summary is None else summary.status or "broken"
    if status == "running" and is_stale(known.updated_at, now):
        status = "stale"
    if known.error:
        problem = known.error
    target = _target_score(run_dir)

    rel = run_dir.relative_to(root)
    return Run(
        path=rel.as_posix(),
        game=known.env or "unknown",
        env_id=known.env_id or None,
        experiment=known.experiment or rel.parent.name,
        algo=known.algo or "?",
        policy=known.policy or "?",
        seed=known.seed,
        status=status,
        started=_started(known.started_at, rel),
        # how far it got: unknown, not 0, without a summary.json
        timesteps=None if summary is None else summary.timesteps,
        total_timesteps=known.total_timesteps,
        wall_time_s=None if summary is None else summary.wall_time_s,
        steps_per_s=None if summary is None else summary.steps_per_s,
        final=_final_score(known, history),
        best=_best_score(known, history),
        overrides=tuple(known.overrides),
        note=known.note,
        problem=problem,
        curve=_curve(lines),
        recipe=known.recipe or None,
        sweep=_sweep_of(root, run_dir),
        learning_curve=_existing(run_dir, rel, RunPaths(run_dir).learning_curve.name),
        video=_latest_video(run_dir, rel),
        ended_by=known.ending(now),
        target_score=target,
        reached=_reached(lines, target),
        final_replayed=_final_replayed(lines),
        same_as_recipe=same_as_recipe(known.overrides, known.recipe),
    )


def unreadable_run(root: Path, run_dir: Path, problem: str) -> Run:
    """The row for a directory that could not be read at all: path, status and why."""
    rel = run_dir.relative_to(root)
    return Run(
        path=rel.as_posix(), game="unknown", env_id=None, experiment=rel.parent.name,
        algo="?", policy="?", seed=None, status="broken", started=_started(None, rel),
        timesteps=None, total_timesteps=None, wall_time_s=None, steps_per_s=None,
        final=None, best=None, overrides=(), note="", problem=problem, curve=(), recipe=None,
        sweep=_sweep_of(root, run_dir), learning_curve=None, video=None,
    )  # fmt: skip


def _sweep_of(root: Path, run_dir: Path) -> str | None:
    """The sweep directory a job belongs to (relative), None for a single run."""
    return (
        run_dir.parent.relative_to(root).as_posix() if is_sweep_dir(root, run_dir.parent) else None
    )


def _from_hydra_config(run_dir: Path) -> RunSummary:
    """What a run that never wrote summary.json is, from .hydra/.

    Hydra saves config.yaml before the run starts, so even a run that crashed at once
    tells us its algo, game and seed. OmegaConf resolves `${algo.name}_${env.name}`-style
    values; a file that does not parse gives an empty record (the row then shows "?").
    """
    from omegaconf import OmegaConf

    fields: dict[str, Any] = {"overrides": read_overrides(run_dir)}
    try:
        cfg = OmegaConf.load(RunPaths(run_dir).hydra_config)
        for field, key in {
            "experiment": "experiment",
            "algo": "algo.name",
            "env": "env.name",
            "env_id": "env.id",
            "policy": "policy.name",
            "seed": "seed",
            "note": "note",
            "total_timesteps": "train.total_timesteps",
        }.items():
            fields[field] = OmegaConf.select(cfg, key, default=None)
    except Exception:  # noqa: BLE001 - any unreadable config just leaves the row mostly empty
        pass
    return summary_from(fields)


def _started(started_at: Any, rel: Path) -> str:
    """Start time as "YYYY-MM-DD HH:MM"; from the directory's timestamp when not recorded."""
    try:
        return datetime.fromisoformat(str(started_at)).strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        pass
    for part in reversed(rel.parts):
        if TIMESTAMP.fullmatch(part):
            date, time = part.split("_")
            return f"{date} {time[:5].replace('-', ':')}"
    return ""


# Per evaluation: steps, mean, std
History = list[tuple[int, float, float | None]]


def _history(lines: list[Evaluation]) -> History:
    """(timesteps, mean, std) of every evaluation, in file order."""
    return [(e.timesteps, e.mean_reward, e.std_reward) for e in lines]


def _curve(lines: list[Evaluation]) -> tuple[CurvePoint, ...]:
    """The curve to draw: one point per step count, the final evaluation's games pooled into
    the last periodic one's, as on the run's learning curve and in reference curves."""
    return tuple(
        CurvePoint(p.timesteps, None if p.wall_time_s is None else p.wall_time_s / 60,
                   sum(p.games) / len(p.games))
        for p in pool_by_steps(lines)
    )  # fmt: skip


def _target_score(run_dir: Path) -> float | None:
    """``train.target_score`` of the run's saved config; None without one (or no config).

    Only the config's ``train:`` block is parsed: the report reads one config per run, and
    the whole file (every algorithm and env setting) takes ten times as long.
    """
    try:
        block = TRAIN_BLOCK.search(RunPaths(run_dir).hydra_config.read_text())
        train = yaml.load(block.group(), Loader=YAML_LOADER)["train"]  # type: ignore[union-attr]
        return _float_or_none(train["target_score"])
    except (OSError, AttributeError, yaml.YAMLError, KeyError, TypeError):
        return None


def _reached(lines: list[Evaluation], target: float | None) -> CurvePoint | None:
    """The first evaluation whose mean reached ``target`` (training stops there: SB3's
    ``StopTrainingOnRewardThreshold`` compares with >=), as steps, minutes and score."""
    if target is None:
        return None
    hit = next((e for e in lines if e.mean_reward >= target), None)
    return None if hit is None else CurvePoint(hit.timesteps, hit.minutes, hit.mean_reward)


def _final_replayed(lines: list[Evaluation]) -> bool:
    """Whether the last evaluation replayed the games of the one before it, at the same step.

    Runs recorded before evaluations kept their seed played the final evaluation from the
    periodic evaluations' starts: a run stopped at its target then played the crossing
    evaluation's games again, move for move (pong_pqn seeds 0-2, breakout_pqn seed 0). Its
    Final is that evaluation, not a fresh one. Newer runs record a different seed for it.
    """
    if len(lines) < 2:
        return False
    last, before = lines[-1], lines[-2]
    return (
        last.seed is None
        and last.timesteps == before.timesteps
        and bool(last.episode_rewards)
        and last.episode_rewards == before.episode_rewards
    )


def _final_score(summary: RunSummary, history: History) -> Score | None:
    mean = summary.eval_mean_reward
    if mean is not None:
        return Score(mean, summary.eval_std_reward)
    if history:  # summary.json lost: the last evaluation is the latest score
        return Score(*history[-1][1:3])
    return None


def _best_score(summary: RunSummary, history: History) -> Score | None:
    """The best evaluation with its spread; summary.json's number if the history is gone."""
    if history:
        return Score(*max(history, key=lambda h: h[1])[1:3])
    mean = summary.best_eval_mean_reward
    return Score(mean) if mean is not None else None


def _existing(run_dir: Path, rel: Path, name: str) -> str | None:
    return (rel / name).as_posix() if (run_dir / name).is_file() else None


def _latest_video(run_dir: Path, rel: Path) -> str | None:
    """The last video by name (recorders put the step count in the name, so last = newest)."""
    try:
        videos = RunPaths(run_dir).videos
        names = sorted(n for n in os.listdir(videos) if n.endswith((".mp4", ".gif")))
    except OSError:  # no videos/ folder: the usual case
        return None
    return (rel / videos.name / names[-1]).as_posix() if names else None


def _float_or_none(value: Any) -> float | None:
    """A finite float, or None (also for NaN/inf, which JSON from a diverged run can hold)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
