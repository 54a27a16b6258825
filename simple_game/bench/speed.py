"""Training speed: env-only, PPO, DQN and PQN steps/s of each set-up, interleaved repeat by repeat.

Everything runs in ONE process, with the set-ups interleaved repeat by repeat, so that a
busy or throttled machine slows all of them alike; the table reports medians and ratios.
DQN runs with a small buffer and early ``learning_starts``, so the timed part trains.
PQN has no stock SB3 version: its two shapes are compared instead (:func:`pqn_shapes`).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from simple_game.bench.setups import (
    ABLATIONS,
    DQN_BENCH_OVERRIDES,
    project_env,
    project_model,
    stock_env,
    stock_model,
)
from simple_game.config.compose import compose

Timing = tuple[int, float, float]  # (agent steps, wall-clock seconds, process CPU seconds)
# The recipe whose PQN shape is timed against the algorithm's defaults.
PQN_SHAPE_RECIPE = "pong_pqn"
PQN_SHAPE_KEYS = ("n_envs", "n_steps", "n_epochs", "batch_size")
# What each measurement's ratios are taken against: its first set-up, named here for the table.
BASELINE_NAMES = {"env": "stock", "ppo": "stock", "dqn": "stock", "pqn": "defaults"}


def timed(fn: Callable[[], int]) -> Timing:
    """Run ``fn`` (it returns the agent steps it did) under a wall clock and a CPU clock.

    CPU seconds (all threads of this process) are what the work cost; on a machine shared
    with other jobs they stay meaningful when wall-clock time does not. With several torch
    threads they also count threads that spin while waiting, so read them with 1 thread.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    steps = fn()
    return steps, time.perf_counter() - wall, time.process_time() - cpu


def time_env(env: Any, steps: int) -> Timing:
    """Random actions through ``env`` (no network): the env's own throughput."""
    rng = np.random.default_rng(0)
    actions = rng.integers(0, env.action_space.n, size=(steps, env.num_envs))
    env.reset()
    env.step(actions[0])  # first step outside the clock

    def play() -> int:
        for action in actions[1:]:
            env.step(action)
        return (steps - 1) * env.num_envs

    return timed(play)


def time_learn(model: Any, steps: int, warmup: int) -> Timing:
    """``model.learn`` for ``steps`` agent steps after ``warmup`` untimed ones."""
    model.learn(total_timesteps=warmup)
    done = model.num_timesteps

    def learn() -> int:
        model.learn(total_timesteps=steps, reset_num_timesteps=False)
        return model.num_timesteps - done

    return timed(learn)


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    import os

    import torch as th

    from simple_game.model.speed import cpu_has_native_bf16
    from simple_game.records.machine import cpu_model

    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "native_bf16": cpu_has_native_bf16(),
        "torch": th.__version__,
        "torch_threads": th.get_num_threads(),
        "python": platform.python_version(),
        "load_avg_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def pqn_shapes() -> dict[str, list[str]]:
    """PQN's two shapes as set-ups: the algorithm's defaults, then the ``pong_pqn`` recipe's.

    CleanRL's shape (8 games x 128 steps, 4 epochs of minibatches of 256) and the paper's
    (128 games x 32 steps, 2 epochs of 128) both take one gradient step per 64 agent steps; the
    paper's passes each step through the network half as often (docs/algorithms/pqn.md).
    Both are read from the configs, so the bench times what those train.
    """
    shapes = {}
    for source, overrides in (
        ("defaults", ["algo=pqn"]),
        (PQN_SHAPE_RECIPE, [f"recipe={PQN_SHAPE_RECIPE}"]),
    ):
        algo = compose(overrides).algo
        name = (
            f"{algo.n_envs}x{algo.n_steps}, {algo.n_epochs} epochs of {algo.batch_size} ({source})"
        )
        shapes[name] = [f"algo.{key}={algo[key]}" for key in PQN_SHAPE_KEYS]
    return shapes


def trials(args: argparse.Namespace) -> list[tuple[str, str, list[str], bool]]:
    """One repeat's (measurement, set-up, config overrides, is stock SB3), baselines first."""
    setups: dict[str, list[str] | None] = {"stock SB3": None, "project": []}
    if args.ablations:
        setups.update(ABLATIONS)
    runs = []
    for name, extra in setups.items():
        for kind in args.only:
            if kind == "pqn":
                continue
            algo = ["algo=dqn", *DQN_BENCH_OVERRIDES] if kind == "dqn" else ["algo=ppo"]
            runs.append((kind, name, [*algo, *(extra or [])], extra is None))
    if "pqn" in args.only:
        shapes = pqn_shapes()
        runs += [("pqn", name, ["algo=pqn", *shape], False) for name, shape in shapes.items()]
        if args.ablations:  # each lever off in the recipe's shape, the one a learner runs
            recipe = ["algo=pqn", *next(s for n, s in shapes.items() if PQN_SHAPE_RECIPE in n)]
            for name, extra in ABLATIONS.items():
                lever = name.removeprefix("project, ")
                runs.append(("pqn", f"{PQN_SHAPE_RECIPE}, {lever}", [*recipe, *extra], False))
    return runs


def run_bench(args: argparse.Namespace) -> dict[str, dict[str, list[Timing]]]:
    from simple_game.model.device import resolve_device

    base = [f"env={args.game}"]
    steps_of = {"ppo": args.ppo_steps, "dqn": args.dqn_steps, "pqn": args.pqn_steps}
    results: dict[str, dict[str, list[Timing]]] = {}

    def measure(kind: str, name: str, fn: Callable[[], Timing]) -> None:
        steps, wall, cpu = fn()
        results.setdefault(kind, {}).setdefault(name, []).append((steps, wall, cpu))
        print(
            f"  {kind:4s} {name:36s} {steps / wall:8.0f} steps/s "
            f"({steps / cpu:.0f} per CPU-second)",
            flush=True,
        )

    plan = trials(args)  # the same set-ups, in the same order, every repeat
    for repeat in range(args.repeats):
        print(f"repeat {repeat + 1}/{args.repeats}", flush=True)
        for kind, name, overrides, is_stock in plan:
            cfg = compose([*base, *overrides])
            device = resolve_device(cfg.hardware.device)
            env = (stock_env if is_stock else project_env)(cfg, seed=repeat)
            try:
                if kind == "env":
                    measure(kind, name, lambda env=env: time_env(env, args.env_steps))
                    continue
                model = (stock_model if is_stock else project_model)(cfg, env, device)
                warmup = (  # untimed: DQN's random steps, or one rollout of PPO and PQN
                    int(cfg.algo.learning_starts) + 100
                    if kind == "dqn"
                    else int(cfg.algo.n_steps) * int(cfg.env.n_envs)
                )
                steps = steps_of[kind]
                measure(kind, name, lambda m=model, s=steps, w=warmup: time_learn(m, s, w))
            finally:
                env.close()
    return results


def summarise(results: dict[str, dict[str, list[Timing]]]) -> dict[str, dict[str, Any]]:
    """Median steps/s (wall clock and per CPU-second) per set-up, and ratios to the first one:
    stock SB3 (``ratio_to_stock``), or for PQN its defaults (``ratio_to_defaults``)."""
    table: dict[str, dict[str, Any]] = {}
    for kind, by_setup in results.items():
        rows = {}
        for name, timings in by_setup.items():
            wall = [steps / w for steps, w, _ in timings]
            cpu = [steps / c for steps, _, c in timings]
            rows[name] = {
                "wall_steps_per_s": [round(v, 1) for v in wall],
                "cpu_steps_per_s": [round(v, 1) for v in cpu],
                "median": round(statistics.median(wall), 1),
                "median_per_cpu_s": round(statistics.median(cpu), 1),
            }
        column, base = BASELINE_NAMES[kind], next(iter(rows.values()))
        for row in rows.values():
            row[f"ratio_to_{column}"] = round(row["median"] / base["median"], 2)
            row[f"cpu_ratio_to_{column}"] = round(
                row["median_per_cpu_s"] / base["median_per_cpu_s"], 2
            )
        table[kind] = rows
    return table


def print_table(table: dict[str, dict[str, Any]]) -> None:
    labels = {
        "env": "env only (random actions)",
        "ppo": "PPO training",
        "dqn": "DQN training",
        "pqn": "PQN training",
    }
    header = None
    for kind, rows in table.items():
        column = BASELINE_NAMES[kind]
        if column != header:  # a header per baseline: PQN's ratios are to its defaults
            header = column
            print(
                f"\n{'measurement':26s} {'set-up':34s} {'steps/s':>8s} {'x ' + column:>10s} "
                f"{'per CPU-s':>10s} {'x ' + column:>10s}  wall-clock runs"
            )
        for name, row in rows.items():
            runs = ", ".join(f"{v:.0f}" for v in row["wall_steps_per_s"])
            print(
                f"{labels[kind]:26s} {name:34s} {row['median']:8.0f} "
                f"{row[f'ratio_to_{column}']:9.2f}x {row['median_per_cpu_s']:10.0f} "
                f"{row[f'cpu_ratio_to_{column}']:9.2f}x  {runs}"
            )
