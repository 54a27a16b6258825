"""Real sweeps end to end: grids, parallel launchers, Optuna studies with pruning, failures,
resuming, and a study shared by two sweeps through a real PostgreSQL server.

Every job is a real (tiny) training run. Pong makes the scores controllable without mocks:
``env.max_frames_per_episode`` can cut the evaluation game short. 200 frames are over before
a point is played (score 0); a full game (108,000 frames) ends when someone has 21 points,
and an untrained agent loses it badly (about -20).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import optuna
import pytest
from omegaconf import OmegaConf
from optuna.trial import TrialState

from simple_game.config.preflight import check_overrides
from tests.conftest import read_summary, run_cli

# Two games, 64 steps, evaluations after 32 and 64 steps on short (200-frame) games.
TINY_SWEEP = [
    "env=pong",
    "env.n_envs=2",
    "env.max_frames_per_episode=200",
    "algo.n_steps=16",
    "algo.batch_size=32",
    "algo.n_epochs=1",
    "train.total_timesteps=64",
    "train.eval_freq=32",
    "train.n_eval_episodes=1",
    "train.checkpoint_freq=0",
    "train.progress_bar=false",
    "hardware=cpu",
    "hardware.torch_threads=1",  # parallel jobs on a 2-core machine: one thread each
]
# The Optuna sweeper without the packaged PPO space (too big for a test); the test names its own.
OPTUNA = [
    "hydra/sweeper=optuna",
    "search_space@hydra.sweeper.params=none",
    "hydra/sweeper/sampler=random",
]


def sweep(workdir: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    result = run_cli(["-m", *TINY_SWEEP, *args], workdir, timeout=timeout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def job_dirs(sweep_dir: Path) -> list[Path]:
    return sorted(
        (p for p in sweep_dir.iterdir() if (p / ".hydra").is_dir()), key=lambda p: int(p.name)
    )


def trials(storage: str, study: str) -> list[optuna.trial.FrozenTrial]:
    return optuna.load_study(study_name=study, storage=storage).get_trials()


@pytest.mark.slow
def test_grid_2x2_in_parallel_with_joblib(workdir: Path) -> None:
    sweep(
        workdir,
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2",
        "hydra.sweep.dir=multirun/grid",
        "seed=0,1",
        "algo.gae_lambda=0.9,0.95",
    )
    jobs = job_dirs(workdir / "multirun" / "grid")
    assert [j.name for j in jobs] == ["0", "1", "2", "3"]
    combos = set()
    for job in jobs:  # each job directory is a complete run directory
        summary = read_summary(job)
        assert summary["status"] == "completed"
        assert (job / "final_model.zip").is_file() and (job / "evaluations.jsonl").is_file()
        overrides = OmegaConf.load(job / ".hydra" / "overrides.yaml")
        combos.add(tuple(o for o in overrides if o.startswith(("seed=", "algo.gae_lambda="))))
    assert len(combos) == 4
    # joblib ran two jobs at a time: the first two overlapped in time.
    spans = [
        (
            datetime.fromisoformat(read_summary(j)["started_at"]),
            datetime.fromisoformat(read_summary(j)["finished_at"]),
        )
        for j in jobs[:2]
    ]
    assert spans[0][0] < spans[1][1] and spans[1][0] < spans[0][1]


def test_submitit_local_runs_each_job_in_its_own_process(workdir: Path) -> None:
    sweep(workdir, "hydra/launcher=submitit_local", "hydra.sweep.dir=multirun/sub", "seed=3")
    (job,) = job_dirs(workdir / "multirun" / "sub")
    assert read_summary(job)["status"] == "completed"
    assert list((workdir / "multirun" / "sub" / ".submitit").glob("*/*_result.pkl"))


@pytest.mark.slow
def test_optuna_prunes_survives_a_crash_and_resumes(workdir: Path) -> None:
    storage = f"sqlite:///{workdir}/multirun/optuna.db"
    common = [*OPTUNA, "hydra.sweeper.study_name=pong_tiny", "hydra.sweeper.sampler.seed=0"]

    # 1. Four trials. With seed 0 the sampler picks full, 200, full, full games: trials 0 and 1
    #    finish (scores about -20 and 0); trials 2 and 3 score about -20 at their first
    #    evaluation, below the median of the finished trials there (-10), and are pruned.
    sweep(
        workdir,
        *common,
        "hydra.sweeper.n_trials=4",
        "hydra.sweeper.pruner.n_startup_trials=1",
        "train.total_timesteps=32",  # one evaluation (then the final one): full games are slow
        "hydra.sweep.dir=multirun/first",
        "env.max_frames_per_episode=choice(200,108000)",
    )
    first = trials(storage, "pong_tiny")
    assert [t.state for t in first] == [TrialState.COMPLETE] * 2 + [TrialState.PRUNED] * 2
    for trial in first[2:]:
        (run_dir,) = trial.user_attrs["run_dirs"]
        assert read_summary(Path(run_dir))["status"] == "pruned"
        assert len(trial.intermediate_values) == 1  # stopped after its first evaluation
    results = OmegaConf.load(workdir / "multirun" / "first" / "optimization_results.yaml")
    assert results.best_params == {"env.max_frames_per_episode": 200}
    assert results.trials == {"complete": 2, "pruned": 2}

    # 2. The same study again, two more trials. Seed 0 now picks batch sizes 100000 (larger
    #    than the 2 x 16 rollout: the run refuses to start) then 32: the crash is recorded
    #    as a FAIL with its error, and the study goes on.
    sweep(
        workdir,
        *common,
        "hydra.sweeper.n_trials=2",
        "hydra.sweep.dir=multirun/second",
        "algo.batch_size=choice(32,100000)",
    )
    both = trials(storage, "pong_tiny")
    assert [t.number for t in both] == list(range(6))
    assert [(t.state, t.params) for t in both[:4]] == [(t.state, t.params) for t in first]
    assert (
        both[4].state == TrialState.FAIL and "algo.batch_size=100000" in both[4].user_attrs["error"]
    )
    assert both[5].state == TrialState.COMPLETE

    # 3. The best trial as overrides that the training command accepts as they are.
    best = (workdir / "multirun" / "second" / "best_overrides.txt").read_text().split()
    assert "algo.batch_size=32" in best and "env=pong" in best
    assert not any(line.startswith(("tuning.", "hydra", "search_space", "train.")) for line in best)
    check_overrides(best)  # raises UserError if the training command would refuse them


# --- PostgreSQL: a private server on loopback, owned by an unprivileged user ---------------


def _postgres_bin(name: str) -> str | None:
    """Debian keeps the server binaries in /usr/lib/postgresql/<version>/bin, off the PATH."""
    return shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))), None
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL cluster (initdb + pg_ctl) on a free loopback port.

    PostgreSQL refuses to run as root, so under root the server runs as the ``postgres``
    (or ``nobody``) user. CI installs the server: `apt-get install -y postgresql`.
    """
    initdb, pg_ctl = _postgres_bin("initdb"), _postgres_bin("pg_ctl")
    if not (initdb and pg_ctl):
        message = (
            "PostgreSQL server binaries not installed (bash scripts/setup.sh --dev installs them)"
        )
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs the server: its absence is a broken set-up
        pytest.skip(message)
    prefix: list[str] = []
    home = Path(tempfile.mkdtemp(prefix="sg-pg-"))
    if os.geteuid() == 0:
        user = next(u for u in ("postgres", "nobody") if _user_exists(u))
        shutil.chown(home, user)
        prefix = ["runuser", "-u", user, "--"]
    data, port = home / "data", _free_port()
    subprocess.run(
        [*prefix, initdb, "-D", str(data), "-U", "tuner", "--auth=trust"],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1"
    subprocess.run(
        [*prefix, pg_ctl, "-D", str(data), "-o", options, "-l", str(home / "log"), "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=port, user="tuner", dbname="postgres")
        conn.autocommit = True
        conn.cursor().execute("CREATE DATABASE optuna")
        conn.close()
        yield f"postgresql+psycopg2://tuner@127.0.0.1:{port}/optuna"
    finally:
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(home, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@pytest.mark.slow
def test_two_sweeps_share_one_postgresql_study(workdir: Path, postgres_url: str) -> None:
    # Create the study once, before the workers start (as docs/sweeps.md says to).
    subprocess.run(
        [
            str(Path(sys.executable).parent / "optuna"),
            "create-study",
            "--storage",
            postgres_url,
            "--study-name",
            "shared",
            "--direction",
            "maximize",
        ],
        check=True,
        capture_output=True,
    )
    args = [
        "-m",
        *TINY_SWEEP,
        *OPTUNA,
        "hydra/sweeper/pruner=none",
        f"hydra.sweeper.storage='{postgres_url}'",
        "hydra.sweeper.study_name=shared",
        "hydra.sweeper.n_trials=2",
        "env.max_frames_per_episode=choice(200,400)",
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "simple_game", *args, f"hydra.sweep.dir=multirun/worker{i}"],
            cwd=workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        for i in range(2)
    ]
    for worker in workers:
        out, _ = worker.communicate(timeout=600)
        assert worker.returncode == 0, out[-3000:]

    shared = trials(postgres_url, "shared")
    assert sorted(t.number for t in shared) == [0, 1, 2, 3]  # 2 + 2: the counts add up
    assert all(t.state == TrialState.COMPLETE for t in shared)
    # No trial ran twice: each trial number was reported by exactly one job directory.
    runs = [d for t in shared for d in t.user_attrs["run_dirs"]]
    assert len(set(runs)) == 4
    numbers = [OmegaConf.load(Path(d) / ".hydra" / "config.yaml").tuning.trial for d in runs]
    assert sorted(numbers) == [0, 1, 2, 3]
    assert {Path(d).parent.name for d in runs} == {"worker0", "worker1"}


def _start_sweep(workdir: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "simple_game", "-m", *TINY_SWEEP, *args],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _wait_for_training(sweep_dir: Path, proc: subprocess.Popen[str]) -> None:
    """Until the first job has evaluated once: its trial is running and reporting."""
    for _ in range(600):
        if (sweep_dir / "0" / "evaluations.jsonl").exists():
            return
        assert proc.poll() is None, proc.communicate()[0][-3000:]
        time.sleep(0.5)
    raise TimeoutError("the sweep's first job never evaluated")


@pytest.mark.slow
def test_interrupted_and_killed_sweeps_leave_the_study_consistent(workdir: Path) -> None:
    storage = f"sqlite:///{workdir}/multirun/optuna.db"
    long_trials = [
        *OPTUNA,
        "hydra.sweeper.study_name=stop",
        "hydra.sweeper.heartbeat_s=1",  # a killed sweep's trials count as dead after 2 s
        "algo.gae_lambda=choice(0.9,0.95)",
        "train.total_timesteps=100000",  # long enough to be stopped in the middle
    ]

    # Ctrl-C: the job saves a checkpoint and stops, the sweeper closes the trial as FAIL.
    proc = _start_sweep(workdir, *long_trials, "hydra.sweep.dir=multirun/int")
    _wait_for_training(workdir / "multirun" / "int", proc)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode != 0, out[-3000:]
    assert read_summary(workdir / "multirun" / "int" / "0")["status"] == "interrupted"

    # SIGKILL: nothing can clean up; the trial stays RUNNING until the next sweep finds its
    # heartbeat stale.
    proc = _start_sweep(workdir, *long_trials, "hydra.sweep.dir=multirun/kill")
    _wait_for_training(workdir / "multirun" / "kill", proc)
    proc.kill()
    proc.communicate(timeout=60)
    assert [t.state for t in trials(storage, "stop")] == [TrialState.FAIL, TrialState.RUNNING]

    # The rerun continues the study: stale trial failed, one new trial completed.
    time.sleep(2.5)
    sweep(
        workdir,
        *long_trials[:-1],
        "hydra.sweeper.n_trials=1",
        "hydra.sweep.dir=multirun/rerun",
    )
    states = trials(storage, "stop")
    assert [t.state for t in states] == [TrialState.FAIL, TrialState.FAIL, TrialState.COMPLETE]
    assert "sweep stopped" in states[0].user_attrs["error"]


@pytest.mark.slow
def test_trial_over_several_seeds_scores_their_mean_in_parallel(workdir: Path) -> None:
    sweep(
        workdir,
        *OPTUNA,
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2",
        "hydra.sweeper.seeds_per_trial=2",
        "hydra.sweeper.study_name=seeds",
        "hydra.sweeper.n_trials=1",
        "hydra.sweep.dir=multirun/seeds",
        "algo.gae_lambda=choice(0.9,0.95)",
        "env.max_frames_per_episode=1000",
    )
    (trial,) = trials(f"sqlite:///{workdir}/multirun/optuna.db", "seeds")
    runs = [read_summary(Path(d)) for d in trial.user_attrs["run_dirs"]]
    assert [r["seed"] for r in runs] == [0, 1]
    assert trial.value == pytest.approx(sum(r["eval_mean_reward"] for r in runs) / 2)
    (a_start, a_end), (b_start, b_end) = [
        (datetime.fromisoformat(r["started_at"]), datetime.fromisoformat(r["finished_at"]))
        for r in runs
    ]
    assert a_start < b_end and b_start < a_end  # the two seeds trained at the same time
