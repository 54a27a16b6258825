"""Two trainings at once: does each keep a fair share of the machine?

``python -m simple_game.bench --only share`` times a short PPO run (no evaluation, no
checkpoints) three ways (the all-cores pair a quarter as long: it crawls), each run a
separate ``python -m simple_game`` process as a learner would start it: alone; two started
together with the default threads (``hardware.torch_threads=0``: the runs share the cores,
:mod:`simple_game.training.sharing`); and two started together with every core each
(``hardware.torch_threads=<cores>``, which was the default before). Reported: each run's
steps/s, and each pair's mean share of the solo speed.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from simple_game.records.machine import usable_cores
from simple_game.records.run_summary import read_summary


def start_run(run_dir: Path, game: str, steps: int, extra: list[str]) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "simple_game",
        "algo=ppo",
        f"env={game}",
        f"train.total_timesteps={steps}",
        "train.eval_freq=0",
        "train.checkpoint_freq=0",
        "train.progress_bar=false",
        "report=false",
        f"hydra.run.dir={run_dir}",
        *extra,
    ]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def together(
    root: Path, name: str, count: int, game: str, steps: int, extra: list[str]
) -> list[float]:
    """Start ``count`` runs at once; their training steps/s (summary.json) once all end."""
    dirs = [root / f"{name}_{i}" for i in range(count)]
    procs = [start_run(d, game, steps, extra) for d in dirs]
    # every run ends before any failure is raised: the caller's temporary folder goes then
    codes = [proc.wait() for proc in procs]
    if any(codes):
        raise RuntimeError(f"a {name} run failed (exit codes {codes}); see {root}")
    speeds = [read_summary(d) for d in dirs]
    return [s.steps_per_s if s else float("nan") for s in speeds]


def measure_sharing(game: str, steps: int, old_steps: int) -> dict[str, Any]:
    """Solo, a pair sharing the cores, and a pair with every core each (shorter: it crawls)."""
    cores = usable_cores()
    with tempfile.TemporaryDirectory(prefix="share-bench-") as tmp:
        root = Path(tmp)
        solo = together(root, "solo", 1, game, steps, [])[0]
        print(f"  one run alone: {solo:.0f} steps/s", flush=True)
        shared = together(root, "shared", 2, game, steps, [])
        print(f"  two at once, cores shared (default): {shared} steps/s", flush=True)
        greedy = together(root, "greedy", 2, game, old_steps, [f"hardware.torch_threads={cores}"])
        print(
            f"  two at once, {cores} threads each (the old default): {greedy} steps/s", flush=True
        )
    return {
        "cores": cores,
        "solo_steps_per_s": solo,
        "pair_shared_steps_per_s": shared,
        "pair_shared_share_of_solo": round(statistics.mean(shared) / solo, 3),
        "pair_all_cores_steps_per_s": greedy,
        "pair_all_cores_share_of_solo": round(statistics.mean(greedy) / solo, 3),
        "steps": steps,
        "all_cores_pair_steps": old_steps,
    }
