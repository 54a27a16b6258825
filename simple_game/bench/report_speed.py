"""``python -m simple_game.bench --only "" --report-runs N``: time the report on N synthetic run
directories.

The report runs at the end of every training run, so it has to stay fast as runs pile
up: the target is under 5 s for 1,000 run directories on a 2-core machine. The synthetic
directories hold what real ones hold: the .hydra/ files, a summary.json (completed, running,
failed or interrupted), mostly 100 evaluations of 5 games each (a 10M-step run evaluated
every 100k steps), progress.csv, train.log, TensorBoard events, checkpoints; about four in
five are jobs of 10-job sweeps (a sweep is drawn 3 times in 10, and holds 10 runs), and a
few are broken (no summary.json, truncated JSON). Nothing is trained.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

from simple_game.config.groups import CONF_DIR, group_options
from simple_game.records.paths import RunPaths, SweepPaths
from simple_game.records.scores import baseline

EVALS_PER_RUN = 100
EPISODES_PER_EVAL = 5
SWEEP_SIZE = 10


def bench(n_runs: int) -> None:
    """Create ``n_runs`` run directories in a temp dir and time two report regenerations."""
    from simple_game.report import write_report

    with tempfile.TemporaryDirectory(prefix="report-bench-") as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        make_run_dirs(root, n_runs)
        print(f"Created {n_runs} synthetic run directories in {time.perf_counter() - start:.1f} s")
        for label in ("first (draws every plot)", "again (nothing changed)"):
            start = time.perf_counter()
            write_report(root)
            print(f"Report, {label}: {time.perf_counter() - start:.2f} s")
        page = root / "experiments.md"
        lines = len(page.read_text().splitlines())
        print(f"experiments.md: {page.stat().st_size / 1e3:.0f} kB, {lines} lines")


def make_run_dirs(root: Path, n_runs: int, seed: int = 0) -> None:
    """Write ``n_runs`` realistic run directories under ``root/runs`` and ``root/multirun``."""
    rng = random.Random(seed)
    algos, envs = group_options("algo"), group_options("env")
    configs = {
        (g, o): yaml.safe_load((CONF_DIR / g / f"{o}.yaml").read_text())
        for g, options in (("algo", algos), ("env", envs))
        for o in options
    }
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    made = 0
    while made < n_runs:
        when = start + timedelta(hours=made)
        stamp = when.strftime("%Y-%m-%d_%H-%M-%S")
        algo, env = rng.choice(algos), rng.choice(envs)
        if rng.random() < 0.3:  # a sweep over seeds and discounts
            sweep = root / "multirun" / stamp
            size = min(SWEEP_SIZE, n_runs - made)
            command = [f"algo={algo}", f"env={env}", "seed=0,1,2,3,4", "algo.gamma=0.99,0.999"]
            _write_multirun_yaml(sweep, command)
            for job in range(size):
                gamma = 0.99 if job < 5 else 0.999
                overrides = [f"algo={algo}", f"env={env}", f"seed={job % 5}", f"algo.gamma={gamma}"]
                _write_run(sweep / str(job), rng, configs, algo, env, overrides, when)
            made += size
        else:
            overrides = [f"algo={algo}", f"env={env}", f"seed={rng.randrange(5)}"]
            if rng.random() < 0.5:
                overrides.append(f"algo.learning_rate={rng.choice([1e-4, 3e-4, 1e-3])}")
            run_dir = root / "runs" / f"{algo}_{env}" / stamp
            _write_run(run_dir, rng, configs, algo, env, overrides, when)
            made += 1


def _write_run(
    run_dir: Path,
    rng: random.Random,
    configs: dict[tuple[str, str], dict],
    algo: str,
    env: str,
    overrides: list[str],
    when: datetime,
) -> None:
    """One synthetic run directory: .hydra/, then (usually) its records and heavy files."""
    paths = RunPaths(run_dir)
    _write_hydra_files(paths, configs, algo, env, overrides)
    kind = rng.random()
    if kind < 0.02:
        return  # died before writing summary.json
    evals = EVALS_PER_RUN if kind < 0.85 else rng.randrange(1, EVALS_PER_RUN)
    status = "completed" if kind < 0.85 else rng.choice(["running", "failed", "interrupted"])
    entries = _evaluations(rng, env, evals)
    paths.evaluations.write_text("".join(json.dumps(e, sort_keys=True) + "\n" for e in entries))
    summary = {
        "status": status,
        "error": "RuntimeError: CUDA out of memory" if status == "failed" else None,
        "experiment": f"{algo}_{env}",
        "algo": algo,
        "env": env,
        "env_id": configs["env", env]["id"],
        "policy": "simple_nature_cnn",
        "device": "cpu",
        "seed": int(overrides[2].split("=")[1]),
        "note": rng.choice(["", "", "baseline", "lower lr | more entropy"]),
        "overrides": overrides,
        "total_timesteps": 10_000_000,
        "timesteps": evals * 100_000,
        "wall_time_s": evals * 360.0,
        "steps_per_s": 277.8,
        "eval_mean_reward": entries[-1]["mean_reward"],
        "eval_std_reward": entries[-1]["std_reward"],
        "eval_episodes": EPISODES_PER_EVAL,
        "best_eval_mean_reward": max(e["mean_reward"] for e in entries),
        "started_at": when.isoformat(),
        "updated_at": (when + timedelta(seconds=evals * 360)).isoformat(),
        "finished_at": None if status == "running" else when.isoformat(),
        "versions": {"torch": "2.13.0", "stable-baselines3": "2.9.2"},
        "git_commit": "0" * 40,
    }
    text = json.dumps(summary, indent=2, sort_keys=True)
    paths.summary.write_text(text[: len(text) // 2] if kind < 0.03 else text)
    _write_heavy_files(paths, rng, algo)


def _write_hydra_files(
    paths: RunPaths,
    configs: dict[tuple[str, str], dict],
    algo: str,
    env: str,
    overrides: list[str],
) -> None:
    """What Hydra writes before a run starts: its config, overrides and own settings."""
    paths.hydra_config.parent.mkdir(parents=True)
    config = {
        "algo": configs["algo", algo],
        "env": configs["env", env],
        "seed": 0,
        "experiment": "${algo.name}_${env.name}",
        "note": "",
        "train": {"total_timesteps": 10_000_000, "eval_freq": 100_000, "n_eval_episodes": 5},
    }
    paths.hydra_config.write_text(yaml.safe_dump(config))
    paths.hydra_overrides.write_text(yaml.safe_dump(overrides))
    hydra = {"hydra": _hydra_section(overrides)}
    paths.hydra_settings.write_text(yaml.safe_dump(hydra))


def _evaluations(rng: random.Random, env: str, evals: int) -> list[dict]:
    """A learning curve that climbs from random play to a level between random and 1.5x human."""
    ref = baseline(env)
    start = ref.random if ref else 0.0
    level = rng.uniform(ref.random, 1.5 * ref.human) if ref else rng.uniform(0, 100)
    entries = []
    for i in range(1, evals + 1):
        expected = start + (level - start) * i / EVALS_PER_RUN
        rewards = [round(expected + rng.gauss(0, 5), 1) for _ in range(EPISODES_PER_EVAL)]
        mean = sum(rewards) / len(rewards)
        entries.append(
            {
                "timesteps": i * 100_000,
                "mean_reward": mean,
                "std_reward": (sum((r - mean) ** 2 for r in rewards) / len(rewards)) ** 0.5,
                "episode_rewards": rewards,
                "episode_lengths": [rng.randrange(500, 27_000) for _ in rewards],
                "wall_time_s": i * 360.0,
            }
        )
    return entries


def _write_heavy_files(paths: RunPaths, rng: random.Random, algo: str) -> None:
    """The files the report must never read: logs, events, checkpoints, pictures, videos."""
    paths.progress_csv.write_text("time/fps,time/total_timesteps\n" + "277,1000\n" * 200)
    paths.train_log.write_text("[2026-01-01 00:00:00] training...\n" * 100)
    paths.tensorboard.mkdir()
    (paths.tensorboard / "events.out.tfevents.0").write_bytes(rng.randbytes(4096))
    paths.checkpoints.mkdir()
    paths.checkpoint(algo, 500_000).write_bytes(rng.randbytes(4096))
    if rng.random() < 0.5:
        paths.learning_curve.write_bytes(b"\x89PNG")
        paths.videos.mkdir()
        (paths.videos / "eval_10000000_steps.mp4").write_bytes(b"")


def _write_multirun_yaml(sweep_dir: Path, command: list[str]) -> None:
    sweep_dir.mkdir(parents=True)
    hydra = _hydra_section(command)
    SweepPaths(sweep_dir).sweep_config.write_text(yaml.safe_dump({"hydra": hydra}))


def _hydra_section(task_overrides: list[str]) -> dict:
    """A Hydra section shaped (and sized, ~200 lines) like the ones Hydra writes."""
    return {
        "run": {"dir": "runs/${experiment}/${now:%Y-%m-%d_%H-%M-%S}"},
        "sweep": {"dir": "multirun/${now:%Y-%m-%d_%H-%M-%S}", "subdir": "${hydra.job.num}"},
        "sweeper": {
            "_target_": "hydra._internal.core_plugins.basic_sweeper.BasicSweeper",
            "max_batch_size": None,
            "params": None,
        },
        "overrides": {"hydra": ["hydra.mode=MULTIRUN"], "task": task_overrides},
        "help": {f"line{i}": "x" * 60 for i in range(150)},
    }
