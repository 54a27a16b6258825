"""Shared helpers: run the real command line on tiny budgets in a temporary directory.

Every test trains real SB3 models on real ALE games; budgets are a few hundred steps so the
whole suite stays within minutes on 2 CPU cores.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from omegaconf import DictConfig

REPO = Path(__file__).resolve().parent.parent

# Overrides that shrink a run to seconds while keeping every part of it (evaluation,
# checkpoints, final model). Breakout's full games are short even for a random policy.
TINY_TRAIN = {
    "train.total_timesteps": "256",
    "train.eval_freq": "128",
    "train.n_eval_episodes": "1",
    "train.checkpoint_freq": "128",
    "train.progress_bar": "false",
    "train.log_interval_s": "1",
}
# Size overrides per algorithm: small rollouts and buffers, learning that starts early.
TINY_ALGO = {
    "ppo": {"algo.n_steps": "32", "algo.batch_size": "64"},
    "a2c": {"algo.n_envs": "4"},
    "dqn": {"algo.buffer_size": "1000", "algo.learning_starts": "64"},
    "qrdqn": {"algo.buffer_size": "1000", "algo.learning_starts": "64"},
    "pqn": {"algo.n_envs": "8", "algo.n_steps": "32", "algo.batch_size": "64"},  # pong_pqn: 128
}


def as_overrides(settings: dict[str, str]) -> list[str]:
    return [f"{key}={value}" for key, value in settings.items()]


TINY = as_overrides(TINY_TRAIN)


def tiny(algo: str = "ppo") -> list[str]:
    """Tiny-budget overrides for ``algo``."""
    return [f"algo={algo}", *TINY, *as_overrides(TINY_ALGO[algo])]


def run_argv(
    argv: list[str], cwd: Path, timeout: float = 540, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` in ``cwd`` with this checkout importable (and ``extra_env`` set); output
    captured as text."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "MPLBACKEND": "Agg", **(extra_env or {})}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


def run_cli(
    args: list[str], cwd: Path, module: str = "simple_game", timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``python -m <module> <args>`` in ``cwd``, as a user would type it."""
    return run_argv([sys.executable, "-m", module, *args], cwd, timeout)


def the_run_dir(workdir: Path) -> Path:
    """The one run directory a command launched in ``workdir`` made (runs/<experiment>/<time>/)."""
    (run_dir,) = (workdir / "runs").glob("*/*")
    return run_dir


def read_summary(run_dir: Path) -> dict:
    return json.loads((run_dir / "summary.json").read_text())


def tensorboard_scalars(run_dir: Path) -> dict[str, list[tuple[int, float]]]:
    """Every scalar a run logged to TensorBoard, by tag: (step, value), across event files."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    scalars: dict[str, list[tuple[int, float]]] = {}
    for events in sorted((run_dir / "tensorboard").glob("events.out.tfevents.*")):
        acc = EventAccumulator(str(events))
        acc.Reload()
        for tag in acc.Tags()["scalars"]:
            scalars.setdefault(tag, []).extend((e.step, e.value) for e in acc.Scalars(tag))
    return scalars


@pytest.fixture(scope="session", autouse=True)
def _sb3_default_logs_in_tmp_path(tmp_path_factory: pytest.TempPathFactory) -> None:
    """SB3 makes an empty /tmp/SB3-<time> folder for each learn() of a model with no logger
    of its own; keep those inside pytest's temporary directory, which pytest cleans up."""
    os.environ["SB3_LOGDIR"] = str(tmp_path_factory.mktemp("sb3_default_logs"))


@pytest.fixture(scope="session", autouse=True)
def _torch_threads_shared_by_workers() -> None:
    """Under pytest-xdist (``-n 2``) each worker process gets its share of the cores for the
    models it trains in-process (the bench, the network tests): with torch's default of one
    thread per core in every worker, 2 workers ran 4 threads on 2 cores, and the bench tests
    took 2.4-2.8x as long as alone (a fair half of the machine: 2x). Commands a test launches share the cores by themselves
    (simple_game/training/sharing.py) or are told to (``hardware.torch_threads=1``)."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        import torch as th

        from simple_game.records.machine import usable_cores

        th.set_num_threads(max(1, usable_cores() // workers))


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """An empty directory to launch commands from (runs/ and multirun/ land here)."""
    return tmp_path


# --- Shared tiny run for the evaluation, video and plot tests ------------------------------
# One game at a time (n_envs=1) so that a training game finishes within 256 steps and
# progress.csv gets a training score; one periodic evaluation (at 256 steps) with a video
# clip, as every evaluation game costs seconds; checkpoints at 128 and 256 steps.
TINY_EVAL_RUN = [
    "algo=ppo",
    "env=breakout",
    *(o for o in TINY if not o.startswith("train.eval_freq=")),
    "train.eval_freq=256",
    "hardware.torch_threads=1",  # tests run in parallel on few cores
    "algo.n_envs=1",
    "algo.n_steps=64",
    "algo.batch_size=64",
    "train.video=true",
]


def once_per_session(
    tmp_path_factory: pytest.TempPathFactory,
    worker_id: str,
    name: str,
    make: Callable[[Path], Path],
) -> Path:
    """``make(workdir)`` once per test session, its result (a path) shared by every test.

    Under pytest-xdist every worker would make its own; a file lock in the directory the
    workers share makes the first one make it and the others reuse it. If ``make`` fails,
    each test that asks fails with its error.
    """
    if worker_id == "master":  # no xdist
        return make(tmp_path_factory.mktemp(name))
    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp().parent
    marker = shared / f"{name}.path"
    with FileLock(str(shared / f"{name}.lock")):
        if not marker.exists():
            workdir = shared / name
            workdir.mkdir(exist_ok=True)
            marker.write_text(str(make(workdir)))
    return Path(marker.read_text())


def train_in(args: list[str], workdir: Path) -> Path:
    """Train ``python -m simple_game <args>`` in ``workdir``; its run directory.

    The console output is kept as console.txt beside runs/, for tests that read it.
    """
    result = run_cli(args, workdir)
    (workdir / "console.txt").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, result.stderr[-3000:]
    return the_run_dir(workdir)


def console_of(run_dir: Path) -> str:
    """What ``train_in`` printed while training ``run_dir`` (runs/<experiment>/<time>/)."""
    return (run_dir.parents[2] / "console.txt").read_text()


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A real PPO Breakout run (256 steps), trained once per test session.

    Tests may add files to it (evaluations/, videos/) but must not change what is there.
    """
    make = partial(train_in, TINY_EVAL_RUN)
    return once_per_session(tmp_path_factory, worker_id, "tiny_run", make)


# --- Shared finished runs of each algorithm -----------------------------------------------
# Budgets that make a tiny run log everything it can: two PPO rollouts (so train/ metrics are
# written), games cut at 200 frames (so rollout/ep_* appear), learning that starts early.
ALGO_RUN_BUDGETS = {"ppo": 512, "a2c": 320, "dqn": 400, "qrdqn": 400, "pqn": 512}
ALGO_RUN_EXTRA = {"qrdqn": ["algo.policy_kwargs.n_quantiles=20"]}


def algo_run_args(algo: str, env: str) -> list[str]:
    """The overrides of the shared tiny run of ``algo`` on ``env`` (seed 1)."""
    return [
        *tiny(algo),
        f"env={env}",
        "seed=1",
        f"train.total_timesteps={ALGO_RUN_BUDGETS[algo]}",
        "env.max_frames_per_episode=200",
        *ALGO_RUN_EXTRA.get(algo, []),
    ]


@pytest.fixture(scope="session")
def algo_run(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Callable[[str, str], Path]:
    """``algo_run(algo, env)``: the run directory of a real tiny run (``algo_run_args``),
    trained once per test session for every test that reads a finished run of that pair.

    Tests must not change what is in it.
    """

    def get(algo: str, env: str) -> Path:
        make = partial(train_in, algo_run_args(algo, env))
        return once_per_session(tmp_path_factory, worker_id, f"{algo}_{env}_run", make)

    return get


def compose_config(*overrides: str, name: str = "config") -> DictConfig:
    """The config ``python -m simple_game <overrides>`` (or another ``name``) composes."""
    from hydra import compose, initialize_config_dir

    from simple_game.config.groups import CONF_DIR

    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose(name, overrides=list(overrides))


def env_config(game: str = "breakout", *overrides: str) -> DictConfig:
    """The ``env`` group of ``game``, composed as a run would get it."""
    return compose_config(f"env={game}", *overrides).env


def eval_cfg(*overrides: str) -> DictConfig:
    """The config of ``python -m simple_game.evaluate <overrides>``, composed as Hydra would."""
    return compose_config(*overrides, name="evaluate")
