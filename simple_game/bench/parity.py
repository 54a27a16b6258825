"""The learning check: stock and project PPO trained for the same steps on several seeds,
scored on full games, compared seed by seed."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from simple_game.bench.setups import project_env, project_model, stock_env, stock_model
from simple_game.config.compose import compose

# The two sides of the learning-parity check.
PARITY_PIPELINES = ("stock SB3", "project")


def parity_score(
    game: str, pipeline: str, seed: int, steps: int, episodes: int, overrides: list[str]
) -> float:
    """Mean full-game score of one PPO model trained for ``steps`` on ``pipeline``'s env.

    Each model is judged on full games with real scores from its own pipeline's evaluation
    env (what its user would see), with sampled actions. ``overrides`` apply to the project.
    """
    from stable_baselines3.common.evaluation import evaluate_policy

    from simple_game.envs.build import EVAL_SEED_OFFSET
    from simple_game.model.device import resolve_device

    stock = pipeline == PARITY_PIPELINES[0]
    cfg = compose([f"env={game}", "algo=ppo", f"seed={seed}", *([] if stock else overrides)])
    make_env, make_model = (stock_env, stock_model) if stock else (project_env, project_model)
    env = make_env(cfg, seed=seed)
    eval_env = make_env(cfg, seed=seed + EVAL_SEED_OFFSET, n_envs=1, evaluation=True)
    model = make_model(cfg, env, resolve_device(cfg.hardware.device))
    model.learn(total_timesteps=steps)
    score, _ = evaluate_policy(model, eval_env, n_eval_episodes=episodes, deterministic=False)
    env.close()
    eval_env.close()
    print(f"  parity seed {seed} {pipeline:10s} score {score:.1f}", flush=True)
    return float(score)


def compare_scores(stock: list[float], project: list[float]) -> dict[str, Any]:
    """Per-seed scores of both sides, their means and spreads, and two t statistics.

    * ``welch_t``: project minus stock, treating the two sets of seeds as independent.
    * ``paired_t``: the mean of the per-seed differences over its standard error. Seed ``s``
      gives both sides the same initial network, so a seed that is hard for one tends to be
      hard for the other; comparing seed by seed takes that shared part out and is the
      sharper test. (The games are shared only on the same env backend: ale-py draws its
      reset no-ops from a generator of its own, so with ``ale_vector`` they start otherwise.)

    Both are 0 where there is no spread to divide by (fewer than 2 seeds, or equal scores).
    """
    s, p = np.asarray(stock, dtype=float), np.asarray(project, dtype=float)
    summary: dict[str, Any] = {
        name: {
            "scores": [float(v) for v in values],
            "mean": float(values.mean()),
            "std": float(values.std()),
        }
        for name, values in zip(PARITY_PIPELINES, (s, p), strict=True)
    }
    n = len(s)
    stderr = np.sqrt(s.var(ddof=1) / n + p.var(ddof=1) / n) if n > 1 else 0.0
    summary["welch_t"] = float((p.mean() - s.mean()) / stderr) if stderr > 0 else 0.0
    diffs = p - s
    paired_stderr = diffs.std(ddof=1) / np.sqrt(n) if n > 1 else 0.0
    summary["differences"] = [round(float(d), 3) for d in diffs]
    summary["paired_t"] = float(diffs.mean() / paired_stderr) if paired_stderr > 0 else 0.0
    return summary


def learning_parity(args: argparse.Namespace) -> dict[str, Any]:
    """Equal-steps PPO scores of stock SB3 and the project, over ``--parity-seeds`` seeds.

    ``--parity-jobs`` models train at once, in separate processes with one torch thread each.
    Reported: per-seed mean scores, their mean and standard deviation, and Welch's and the
    paired t of project minus stock (see :func:`compare_scores`).
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from simple_game.model.device import configure_threads

    seeds = range(args.parity_first_seed, args.parity_first_seed + args.parity_seeds)
    # Parallel jobs share the cores: one torch thread each, no oversubscription.
    threads = (1,) if args.parity_jobs > 1 else (0,)
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(args.parity_jobs, spawn, configure_threads, threads) as pool:
        futures = {
            (pipeline, seed): pool.submit(
                parity_score,
                args.game,
                pipeline,
                seed,
                args.parity_steps,
                args.parity_episodes,
                args.parity_overrides,
            )
            for seed in seeds
            for pipeline in PARITY_PIPELINES
        }
        scores = {p: [futures[(p, s)].result() for s in seeds] for p in PARITY_PIPELINES}
    summary = compare_scores(*(scores[k] for k in PARITY_PIPELINES))
    summary["seeds"] = list(seeds)
    summary["steps"] = args.parity_steps
    summary["project_overrides"] = args.parity_overrides
    return summary


def print_parity(parity: dict[str, Any], steps: int) -> None:
    print(
        f"\nLearning parity after {steps:,} PPO steps, seeds {parity['seeds']}: "
        f"stock {parity['stock SB3']['mean']:.1f} +- {parity['stock SB3']['std']:.1f}, "
        f"project {parity['project']['mean']:.1f} +- {parity['project']['std']:.1f}, "
        f"Welch t = {parity['welch_t']:.2f}, paired t = {parity['paired_t']:.2f} "
        f"(per-seed differences {parity['differences']})"
    )
