"""The result of an evaluation: the JSON file it leaves and the table it prints."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from omegaconf import DictConfig

from simple_game.records import scores
from simple_game.records.evaluations import all_cut_at_cap, cap_note
from simple_game.records.files import write_json_atomic
from simple_game.records.paths import RunPaths
from simple_game.records.summary import package_versions, utc_now
from simple_game.text import plural

if TYPE_CHECKING:
    from simple_game.evaluate import Session
    from simple_game.evaluate.explain import ExplainedGames
    from simple_game.evaluate.play import GameTracker


def save_result(out_dir: Path, label: str, result: dict[str, Any]) -> Path:
    """``<out>/evaluations/<label>_<UTC time>.json``; never overwrites an earlier evaluation."""
    folder = RunPaths(out_dir).evaluation_results
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H-%M-%SZ")
    path, n = folder / f"{label}_{stamp}.json", 1
    while path.exists():
        n += 1
        path = folder / f"{label}_{stamp}_{n}.json"
    write_json_atomic(path, result)
    return path


def _hn(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def format_header(settings: dict[str, Any]) -> str:
    """What is about to be played, printed before the first game (:func:`settings`)."""
    who = (
        f"random agent on {settings['env']}"
        if settings["agent"] == "random"
        else f"{settings['algo']} on {settings['env']}, checkpoint {settings['checkpoint']} "
        f"({settings['model_timesteps']:,} training steps)"
    )
    return (
        f"Evaluating {who}\n"
        f"  {settings['env_id']}: {plural(settings['episodes'], 'full game')} (game over ends a "
        f"game, real scores), {_actions(settings)}, sticky actions {settings['sticky_actions']:g}, "
        f"seed {settings['seed']}"
    )


def format_report(result: dict[str, Any]) -> str:
    """The per-game table, the summary line, the actions chosen and where the files went."""
    lines = ["", f"  {'game':>4}  {'score':>9}  {'human-norm':>10}  {'agent steps':>11}"]
    per_game = zip(
        result["episode_rewards"],
        result["episode_human_normalized"],
        result["episode_steps"],
        strict=True,
    )
    for i, (r, hn, n) in enumerate(per_game, start=1):
        lines.append(f"  {i:>4}  {r:>9.1f}  {_hn(hn):>10}  {n:>11,}")
    lines += [
        "",
        f"  score {result['mean_reward']:.1f} ± {result['std_reward']:.1f} "
        f"(min {result['min_reward']:.1f}, max {result['max_reward']:.1f}) "
        f"over {plural(result['episodes'], 'game')}",
        *_notes(result),
        *format_actions(result),
    ]
    for video in result["videos"]:
        lines.append(f"  video of game {video['episode']}: {', '.join(video['files'])}")
    if result.get("actions_chart"):
        lines.append(f"  actions chart: {result['actions_chart']}")
    lines.append(f"  saved {result['file']}")
    return "\n".join(lines)


def format_actions(result: dict[str, Any]) -> list[str]:
    """How often each action was chosen, as a bar per action, and (actor-critics) how
    undecided the policy was: "it never presses FIRE" at a glance."""
    names, counts = result.get("action_names") or [], result.get("action_counts") or []
    total = sum(counts)
    if not total:
        return []
    lines = ["", f"  actions chosen over {plural(total, 'agent step')}:"]
    width = max(len(name) for name in names)
    for name, n in zip(names, counts, strict=True):
        share = n / total
        lines.append(f"    {name:<{width}}  {share:6.1%}  {'#' * round(40 * share)}")
    entropy = result.get("policy_entropy")
    if entropy is not None:
        uniform = math.log(len(names))
        lines.append(
            f"  policy entropy {entropy:.2f} nats on average ({entropy / uniform:.0%} of a "
            f"uniform policy's {uniform:.2f}: 0 = always sure, 100% = picks at random)"
        )
    return lines


def _actions(result: dict[str, Any]) -> str:
    """How the agent chose its actions, in words."""
    epsilon = result.get("epsilon")
    if result["agent"] == "random":
        return "uniform random actions"
    if epsilon is not None:
        return (
            f"epsilon-greedy actions with a fixed epsilon {epsilon:g} "
            "(the checkpoint's training epsilon is not used)"
        )
    if result["deterministic"]:
        return "argmax actions (deterministic=true)"
    return "actions sampled from the policy (deterministic=false, the Atari convention)"


def _notes(result: dict[str, Any]) -> list[str]:
    """The human-normalised score, and a warning when every game ran into the frame cap."""
    if result["human_normalized_mean"] is None:
        notes = ["  human-normalised: n/a (no published random/human scores for this game)"]
    else:
        notes = [
            f"  human-normalised {result['human_normalized_mean']:.3f} "
            f"(0 = random {result['random_score']:g}, 1 = human {result['human_score']:g}; "
            "Badia et al. 2020)"
        ]
    cap = result.get("max_frames_per_episode")
    if cap and all_cut_at_cap(result["episode_frames"], cap):
        notes.append(f"  {cap_note(cap)}.")
    return notes


def settings(cfg: DictConfig, session: Session) -> dict[str, Any]:
    """What an evaluation plays, known before its first game (saved in its JSON file)."""
    target, env_cfg = session.target, session.env_cfg
    return {
        "run": str(target.run_dir) if target.run_dir else None,
        "agent": cfg.agent,
        "checkpoint": target.label,
        "checkpoint_file": str(target.checkpoint) if target.checkpoint else None,
        "model_timesteps": session.model_steps,
        "algo": target.cfg.algo.name if target.checkpoint else None,
        "env": env_cfg.name,
        "env_id": env_cfg.id,
        "episodes": int(cfg.episodes),
        "deterministic": bool(cfg.deterministic),
        "epsilon": session.epsilon,
        "sticky_actions": float(env_cfg.sticky_actions),
        "max_frames_per_episode": int(env_cfg.max_frames_per_episode),
        "seed": session.seed,
    }


def summarise(
    cfg: DictConfig,
    session: Session,
    rewards: list[float],
    frames: list[int],
    tracker: GameTracker | ExplainedGames,
    wall_time_s: float,
    play: dict[str, Any],
) -> dict[str, Any]:
    """Everything an evaluation found, as saved in its JSON file (docs/evaluation.md);
    ``play`` is what the games showed beyond the score (training/tally.py)."""
    env_id = session.env_cfg.id
    ref = scores.baseline(env_id)
    mean = float(np.mean(rewards))
    return {
        **settings(cfg, session),
        "mean_reward": mean,
        "std_reward": float(np.std(rewards)),
        "min_reward": float(np.min(rewards)),
        "max_reward": float(np.max(rewards)),
        "human_normalized_mean": scores.human_normalized(env_id, mean),
        "random_score": ref.random if ref else None,
        "human_score": ref.human if ref else None,
        "episode_rewards": rewards,
        "episode_human_normalized": [scores.human_normalized(env_id, r) for r in rewards],
        "episode_steps": tracker.steps,  # agent decisions (one per frame_skip frames)
        "episode_frames": frames,  # emulator frames, including the no-op start
        **play,
        "videos": tracker.files,
        "wall_time_s": round(wall_time_s, 2),
        "evaluated_at": utc_now(),
        "versions": package_versions(),
    }
