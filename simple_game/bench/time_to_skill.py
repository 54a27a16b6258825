"""Time to skill: wall-clock minutes until full-game evaluations reach a recipe's target score.

``python -m simple_game.bench --time-to-skill pong_pqn --seeds 0,1,2`` trains the recipe once
per seed, one run after another (two at once would share the cores and measure something
else), each with ``python -m simple_game recipe=<recipe> seed=<s>`` exactly as a learner
would type it. A run stops when an evaluation's mean reaches ``train.target_score``, when
``train.max_minutes`` pass (both set by the recipe) or at ``train.total_timesteps``,
whichever comes first. The runs land in
``runs/reference/<recipe>/seed<s>/``; each one's evaluations.jsonl holds the whole curve, with
the training minutes at each evaluation (evaluation time included, start-up not).

``--save-reference`` writes those curves as the recipe's reference curves
(``simple_game/records/data/reference/<recipe>.json``), which every run of the recipe then
draws as a band on its learning curve.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from simple_game.records.evaluations import read_evaluations
from simple_game.records.reference import reference_from_runs
from simple_game.records.run_summary import RunSummary, read_summary


def run_dir_of(root: Path, recipe: str, seed: int) -> Path:
    return root / "runs" / "reference" / recipe / f"seed{seed}"


def completed(run_dir: Path) -> bool:
    """Whether ``run_dir`` holds a run that ran to its end (reached its target or time)."""
    summary = read_summary(run_dir)
    return summary is not None and summary.status == "completed"


def train_one(recipe: str, seed: int, root: Path, overrides: list[str]) -> float:
    """Train the recipe with ``seed`` as a learner would; returns the command's wall seconds."""
    # absolute: the command runs in ``root``, where a relative path would point elsewhere
    run_dir = run_dir_of(root, recipe, seed).resolve()
    root.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "simple_game",
        f"recipe={recipe}",
        f"seed={seed}",
        f"hydra.run.dir={run_dir}",
        "train.progress_bar=false",
        "report=false",
        *overrides,
    ]
    print("$", " ".join(command[1:]), flush=True)
    started = time.monotonic()
    subprocess.run(command, cwd=root, check=True)
    return time.monotonic() - started


def seed_result(run_dir: Path, target: float) -> dict[str, Any]:
    """Minutes and steps to the first evaluation at or above ``target``, and the whole curve."""
    curve = [(e.timesteps, e.minutes or 0.0, e.mean_reward) for e in read_evaluations(run_dir)]
    hit = next(((steps, minutes) for steps, minutes, mean in curve if mean >= target), None)
    summary = read_summary(run_dir) or RunSummary()
    return {
        "run": str(run_dir),
        "seed": summary.seed,
        "reached": hit is not None,
        "steps_to_target": hit[0] if hit else None,
        "minutes_to_target": round(hit[1], 2) if hit else None,
        "trained_steps": summary.timesteps,
        "trained_minutes": round(summary.minutes, 2),
        "best_score": summary.best_eval_mean_reward,
    }


def time_to_skill(
    recipe: str, seeds: list[int], root: Path, overrides: list[str], save_to: Path | None
) -> dict[str, Any]:
    """Train ``recipe`` on each seed and summarise. A seed whose run directory already holds a
    completed run is not trained again, so a later call can add seeds or save the reference
    (the command line refuses a seed whose directory holds a run cut short)."""
    from simple_game.config.preflight import check_overrides

    cfg = check_overrides([f"recipe={recipe}", *overrides])
    target = cfg.train.target_score
    if target is None:  # the command line refuses it first (bench/__main__.py)
        raise ValueError(f"recipe={recipe} sets no train.target_score to time")
    results = []
    for seed in seeds:
        run_dir = run_dir_of(root, recipe, seed)
        done = completed(run_dir)
        command_s = None if done else train_one(recipe, seed, root, overrides)
        result = seed_result(run_dir, float(target))
        result["command_minutes"] = None if command_s is None else round(command_s / 60, 2)
        results.append(result)
        print(
            f"seed {seed}: "
            + (
                f"{target:g} reached after {result['minutes_to_target']:.1f} min, "
                f"{result['steps_to_target']:,} steps"
                if result["reached"]
                else f"{target:g} not reached in {result['trained_minutes']:.1f} min "
                f"(best {result['best_score']})"
            ),
            flush=True,
        )
    reached = [r["minutes_to_target"] for r in results if r["reached"]]
    summary = {
        "recipe": recipe,
        "target_score": float(target),
        "max_minutes": cfg.train.max_minutes,
        "seeds": results,
        "reached": f"{len(reached)} of {len(results)}",
        # among the seeds that reached it (experiments.md counts a miss as never instead)
        "median_minutes_among_reached": statistics.median(reached) if reached else None,
    }
    if save_to is not None:
        save_to.mkdir(parents=True, exist_ok=True)
        path = save_to / f"{recipe}.json"
        reference = reference_from_runs(recipe, [Path(r["run"]) for r in results])
        path.write_text(json.dumps(reference, indent=1) + "\n")
        summary["reference_file"] = str(path)
    return summary
