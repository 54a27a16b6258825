"""``python -m simple_game.bench``: this project's training speed next to stock Stable-Baselines3.

Everything runs in ONE process, with the set-ups interleaved repeat by repeat, so that a
busy or throttled machine slows all of them alike; the table reports medians and ratios.

* **stock** is the pipeline of SB3's documentation: ``make_atari_env`` + ``VecFrameStack``
  (a ``DummyVecEnv`` of Python-wrapped games), ``"CnnPolicy"`` (SB3's NatureCNN, float32),
  with the same hyperparameters (read from conf/algo) and the same device.
* **project** is exactly what ``python -m simple_game`` builds (``make_env`` + ``build_model``
  from the composed config), plus optional ablations that switch one lever back off.

Three measurements: env-only steps/s (random actions, no network), PPO training steps/s and
DQN training steps/s (``model.learn`` after a warm-up; DQN with a small buffer and early
``learning_starts``, so the timed part trains). ``--parity-steps N`` adds a learning check:
stock and project PPO trained for N steps on several seeds, scored on full games.
Results go to the console and a JSON file. See docs/performance.md for measured numbers.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

# Ablations: the project's pipeline with one default switched back to SB3's own way.
ABLATIONS: dict[str, list[str]] = {
    "project, env.backend=sb3": ["env.backend=sb3"],
    "project, precision=fp32": ["hardware.precision=fp32"],
    "project, fused_optimizer=false": ["hardware.fused_optimizer=false"],
    "project, memory_format=channels_last": ["hardware.memory_format=channels_last"],
}
# The two sides of the learning-parity check.
PARITY_PIPELINES = ("stock SB3", "project")
# DQN overrides that make a short timed run look like most of a real one: rl-zoo3's 100k
# learning_starts would only time random steps, and its 100k buffer needs ~5.6 GB of RAM;
# a short exploration phase means the greedy policy (a forward pass per step) is timed.
DQN_BENCH_OVERRIDES = [
    "algo.learning_starts=500",
    "algo.buffer_size=10000",
    "algo.exploration_fraction=0.01",
]


def compose(overrides: list[str]) -> Any:
    """The config ``python -m simple_game <overrides>`` would run with."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    from simple_game.config import CONF_DIR, validate

    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = hydra_compose("config", overrides=overrides)
    validate(cfg)
    return cfg


def stock_env(cfg: Any, seed: int, n_envs: int | None = None, evaluation: bool = False) -> Any:
    """SB3's documented Atari pipeline, as a user who never heard of this project builds it."""
    from stable_baselines3.common.env_util import make_atari_env
    from stable_baselines3.common.vec_env import VecFrameStack

    from simple_game.envs import register_atari_games

    register_atari_games()
    full_games = {"terminal_on_life_loss": False, "clip_reward": False} if evaluation else None
    venv = make_atari_env(
        cfg.env.id, n_envs=n_envs or int(cfg.env.n_envs), seed=seed, wrapper_kwargs=full_games
    )
    return VecFrameStack(venv, n_stack=int(cfg.env.frame_stack))


def stock_model(cfg: Any, env: Any, device: Any) -> Any:
    """SB3's ``CnnPolicy`` with the same hyperparameters as the project's model."""
    from hydra.utils import instantiate

    from simple_game.models import algo_kwargs

    kwargs = algo_kwargs(cfg.algo)
    model = instantiate(
        kwargs,
        policy="CnnPolicy",
        env=env,
        device=device,
        seed=int(cfg.seed),
        verbose=0,
        _convert_="all",
    )
    return without_log_folder(model)


def project_env(cfg: Any, seed: int, n_envs: int | None = None, evaluation: bool = False) -> Any:
    from simple_game.envs import make_env

    return make_env(cfg.env, n_envs=n_envs or int(cfg.env.n_envs), seed=seed, evaluation=evaluation)


def project_model(cfg: Any, env: Any, device: Any) -> Any:
    from simple_game.models import build_model

    return without_log_folder(build_model(cfg, env, device))


def without_log_folder(model: Any) -> Any:
    """Give ``model`` SB3's silent logger, minus the folder.

    An SB3 model with no logger of its own creates an empty ``/tmp/SB3-<time>`` folder on every
    ``learn()`` (SB3's default log folder); the bench trains dozens of models. Both sides get
    this logger, which writes nothing, as SB3's own does at ``verbose=0``.
    """
    from stable_baselines3.common.logger import Logger

    model.set_logger(Logger(folder=None, output_formats=[]))
    return model


Timing = tuple[int, float, float]  # (agent steps, wall-clock seconds, process CPU seconds)


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

    from simple_game.speed import cpu_has_native_bf16

    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.partition(":")[2].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "native_bf16": cpu_has_native_bf16(),
        "torch": th.__version__,
        "torch_threads": th.get_num_threads(),
        "python": platform.python_version(),
        "load_avg_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def run_bench(args: argparse.Namespace) -> dict[str, Any]:
    from simple_game.hardware import resolve_device

    setups: dict[str, list[str] | None] = {"stock SB3": None, "project": []}
    if args.ablations:
        setups.update(ABLATIONS)
    base = [f"env={args.game}"]
    results: dict[str, dict[str, list[Timing]]] = {}

    def measure(kind: str, name: str, fn: Callable[[], Timing]) -> None:
        steps, wall, cpu = fn()
        results.setdefault(kind, {}).setdefault(name, []).append((steps, wall, cpu))
        print(
            f"  {kind:4s} {name:36s} {steps / wall:8.0f} steps/s "
            f"({steps / cpu:.0f} per CPU-second)",
            flush=True,
        )

    for repeat in range(args.repeats):
        print(f"repeat {repeat + 1}/{args.repeats}", flush=True)
        for name, extra in setups.items():
            is_stock = extra is None
            make_env = stock_env if is_stock else project_env
            make_model = stock_model if is_stock else project_model
            for kind in args.only:
                algo_overrides = DQN_BENCH_OVERRIDES if kind == "dqn" else []
                algo = "dqn" if kind == "dqn" else "ppo"
                cfg = compose([*base, f"algo={algo}", *algo_overrides, *(extra or [])])
                device = resolve_device(cfg.hardware.device)
                env = make_env(cfg, seed=repeat)
                try:
                    if kind == "env":
                        measure(kind, name, lambda env=env: time_env(env, args.env_steps))
                    else:
                        model = make_model(cfg, env, device)
                        steps = args.ppo_steps if kind == "ppo" else args.dqn_steps
                        warmup = (
                            int(cfg.algo.n_steps) * int(cfg.env.n_envs)
                            if kind == "ppo"
                            else int(cfg.algo.learning_starts) + 100
                        )
                        measure(
                            kind,
                            name,
                            lambda m=model, s=steps, w=warmup: time_learn(m, s, w),
                        )
                finally:
                    env.close()
    return results


def summarise(results: dict[str, dict[str, list[Timing]]]) -> dict[str, dict[str, Any]]:
    """Median steps/s (wall clock and per CPU-second) per set-up, and ratios to stock SB3."""
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
        stock = rows["stock SB3"]
        for row in rows.values():
            row["ratio_to_stock"] = round(row["median"] / stock["median"], 2)
            row["cpu_ratio_to_stock"] = round(
                row["median_per_cpu_s"] / stock["median_per_cpu_s"], 2
            )
        table[kind] = rows
    return table


def print_table(table: dict[str, dict[str, Any]]) -> None:
    labels = {"env": "env only (random actions)", "ppo": "PPO training", "dqn": "DQN training"}
    print(
        f"\n{'measurement':26s} {'set-up':34s} {'steps/s':>8s} {'x stock':>8s} "
        f"{'per CPU-s':>10s} {'x stock':>8s}  wall-clock runs"
    )
    for kind, rows in table.items():
        for name, row in rows.items():
            runs = ", ".join(f"{v:.0f}" for v in row["wall_steps_per_s"])
            print(
                f"{labels[kind]:26s} {name:34s} {row['median']:8.0f} {row['ratio_to_stock']:7.2f}x "
                f"{row['median_per_cpu_s']:10.0f} {row['cpu_ratio_to_stock']:7.2f}x  {runs}"
            )


def parity_score(
    game: str, pipeline: str, seed: int, steps: int, episodes: int, overrides: list[str]
) -> float:
    """Mean full-game score of one PPO model trained for ``steps`` on ``pipeline``'s env.

    Each model is judged on full games with real scores from its own pipeline's evaluation
    env (what its user would see), with sampled actions. ``overrides`` apply to the project.
    """
    from stable_baselines3.common.evaluation import evaluate_policy

    from simple_game.envs import EVAL_SEED_OFFSET
    from simple_game.hardware import resolve_device

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

    from simple_game.hardware import configure_threads

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


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m simple_game.bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--game", default="breakout", help="env config option (conf/env/)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats per set-up")
    parser.add_argument(
        "--only", default="env,ppo,dqn", help="comma list of env, ppo, dqn ('' for none)"
    )
    parser.add_argument("--env-steps", type=int, default=1000, help="vector steps for env-only")
    parser.add_argument("--ppo-steps", type=int, default=2048, help="timed PPO agent steps")
    parser.add_argument("--dqn-steps", type=int, default=1000, help="timed DQN agent steps")
    parser.add_argument(
        "--threads", type=int, default=0, help="torch CPU threads for all set-ups (0: default)"
    )
    parser.add_argument(
        "--ablations", action="store_true", help="also time each lever switched off"
    )
    parser.add_argument(
        "--parity-steps", type=int, default=0, help="PPO steps per seed for the learning check"
    )
    parser.add_argument("--parity-seeds", type=int, default=3, help="seeds for the check")
    parser.add_argument(
        "--parity-first-seed",
        type=int,
        default=0,
        help="first seed, so a later run can add seeds to an earlier one's",
    )
    parser.add_argument("--parity-episodes", type=int, default=5, help="eval games per model")
    parser.add_argument(
        "--parity-jobs", type=int, default=1, help="models trained at once (1 torch thread each)"
    )
    parser.add_argument(
        "--parity-overrides",
        nargs="*",
        default=[],
        help="config overrides for the project side, e.g. env.backend=sb3",
    )
    parser.add_argument(
        "--json", type=Path, default=Path("bench.json"), help="where to write results"
    )
    args = parser.parse_args(argv)
    args.only = [k.strip() for k in args.only.split(",") if k.strip()]
    unknown = set(args.only) - {"env", "ppo", "dqn"}
    if unknown:
        parser.error(
            f"--only: unknown measurement(s) {', '.join(sorted(unknown))}; use env, ppo, dqn"
        )
    if args.parity_jobs < 1:
        parser.error(f"--parity-jobs={args.parity_jobs}: use 1 or more")
    if args.parity_seeds < 1:
        parser.error(f"--parity-seeds={args.parity_seeds}: use 1 or more")
    if args.parity_first_seed < 0:
        parser.error(f"--parity-first-seed={args.parity_first_seed}: use 0 or more")
    if args.parity_overrides:
        from simple_game.config import ConfigError
        from simple_game.preflight import check_overrides

        try:  # here, not in a worker process minutes later
            check_overrides(["algo=ppo", f"env={args.game}", *args.parity_overrides], heavy=False)
        except ConfigError as err:
            parser.error(f"--parity-overrides: {err}")
    return args


def settings_of(args: argparse.Namespace) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.threads > 0:
        from simple_game.hardware import configure_threads

        configure_threads(args.threads)
    info = machine()
    print(f"Machine: {info}", flush=True)
    report: dict[str, Any] = {"machine": info, "settings": settings_of(args)}
    if args.only:
        report["results"] = summarise(run_bench(args))
        print_table(report["results"])
    if args.parity_steps > 0:
        report["learning_parity"] = parity = learning_parity(args)
        print(
            f"\nLearning parity after {args.parity_steps:,} PPO steps, seeds {parity['seeds']}: "
            f"stock {parity['stock SB3']['mean']:.1f} +- {parity['stock SB3']['std']:.1f}, "
            f"project {parity['project']['mean']:.1f} +- {parity['project']['std']:.1f}, "
            f"Welch t = {parity['welch_t']:.2f}, paired t = {parity['paired_t']:.2f} "
            f"(per-seed differences {parity['differences']})"
        )
    args.json.write_text(json.dumps(report, indent=2))
    print(f"\nWrote {args.json}")


if __name__ == "__main__":
    main()
