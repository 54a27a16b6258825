"""Nothing lost: kill -9 and resume, Ctrl-C / SIGTERM, checkpoints that survive a kill."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from stable_baselines3 import DQN

from simple_game.records.checkpoints import check_checkpoint, list_checkpoints
from simple_game.training.checkpoints import (
    checkpoint_every,
    load_replay_buffer,
    save_checkpoint,
    thin_checkpoints,
)
from tests.conftest import REPO, read_summary, run_cli, tensorboard_scalars, tiny

# PPO on Breakout, 8 envs: a rollout is 256 steps, a checkpoint every 256 steps.
LONG_RUN = [*tiny("ppo"), "train.total_timesteps=2048", "train.eval_freq=0",
            "train.checkpoint_freq=256"]  # fmt: skip


def start(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "simple_game", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def wait_for_checkpoint(run_dir: Path, proc: subprocess.Popen[str], after: int = -1) -> int:
    """Block until the run has a checkpoint newer than ``after`` steps; return its steps."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        found = list_checkpoints(run_dir)
        if found and found[-1][0] > after:
            return found[-1][0]
        assert proc.poll() is None, proc.communicate()[0][-3000:]
        time.sleep(0.2)
    raise AssertionError("no checkpoint appeared in time")


@pytest.mark.slow
def test_kill_9_at_random_points_then_resume_to_completion(tmp_path: Path) -> None:
    rng = random.Random(7)
    run_dir = tmp_path / "runs" / "r"
    args = [*LONG_RUN, "hydra.run.dir=runs/r"]
    seen = -1
    for _ in range(2):  # two crashes at random moments after a fresh checkpoint
        proc = start(args, tmp_path)
        seen = wait_for_checkpoint(run_dir, proc, after=seen)
        time.sleep(rng.uniform(0.0, 2.5))
        proc.kill()
        proc.wait()
        # The run is still readable: status says it did not finish, a checkpoint is loadable.
        summary = read_summary(run_dir)
        assert summary["status"] == "running"
        assert summary["updated_at"]
        check_checkpoint(list_checkpoints(run_dir)[-1][1], "resume", "")
        # The killed session may have saved more checkpoints after the one it waited for:
        # the next session counts as started only once it saves one newer than all of them.
        seen = list_checkpoints(run_dir)[-1][0]
        args = [f"resume={run_dir}"]

    result = run_cli(["resume=runs/r"], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = read_summary(run_dir)
    assert summary["status"] == "completed"
    assert summary["timesteps"] == 2048
    assert summary["resumes"] == 2
    # TensorBoard: three event files (one per session) whose steps carry on, never restarting.
    events = sorted((run_dir / "tensorboard").glob("events.out.tfevents.*"))
    assert len(events) == 3
    scalars = tensorboard_scalars(run_dir)
    steps = sorted({step for step, _ in scalars["time/fps"]})
    assert steps[-1] == 2048
    assert steps == list(range(steps[0], 2049, 256))  # one point per rollout, no gap
    # The linear learning-rate decay carried on from the checkpoint: lr = 2.5e-4 * (1 - t / T).
    # SB3 logs train/* inside train(), after that rollout's dump, so each value appears one
    # rollout (256 steps) later: it was computed at t = step - 256.
    learning_rates = scalars["train/learning_rate"]
    assert len(learning_rates) >= 4
    for step, lr in learning_rates:
        assert lr == pytest.approx(2.5e-4 * (1 - (step - 256) / 2048), rel=1e-4), step


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_saves_checkpoint_and_shows_resume_command(
    sig: signal.Signals, tmp_path: Path
) -> None:
    run_dir = tmp_path / "runs" / "r"
    proc = start([*LONG_RUN, "train.total_timesteps=100000", "hydra.run.dir=runs/r"], tmp_path)
    wait_for_checkpoint(run_dir, proc)
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, out[-3000:]
    assert f"Resume with: python -m simple_game resume={run_dir}" in out
    summary = read_summary(run_dir)
    assert summary["status"] == "interrupted"
    assert list_checkpoints(run_dir)[-1][0] == summary["timesteps"]

    # ...and the resume command continues it from there. The stop may come mid-rollout, and
    # PPO always collects whole rollouts (8 games x 32 steps), so it may end up to 256 past.
    resumed = run_cli([f"resume={run_dir}", "train.total_timesteps=2048"], tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert 2048 <= read_summary(run_dir)["timesteps"] < 2048 + 256
    assert f"Resuming from ppo_{summary['timesteps']}_steps.zip" in resumed.stdout + resumed.stderr


@pytest.mark.slow
def test_second_ctrl_c_quits_at_once(tmp_path: Path) -> None:
    run_dir = tmp_path / "runs" / "r"
    proc = start([*LONG_RUN, "train.total_timesteps=100000", "hydra.run.dir=runs/r"], tmp_path)
    wait_for_checkpoint(run_dir, proc)
    proc.send_signal(signal.SIGINT)
    assert proc.stdout is not None
    seen = []  # wait until the first Ctrl-C is acknowledged, so the two are not merged
    while not (line := proc.stdout.readline()).startswith("SIGINT received"):
        assert line, "".join(seen)[-3000:]
        seen.append(line)
    proc.send_signal(signal.SIGINT)  # while it stops and saves its checkpoint
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "Second interrupt: quitting now" in out


SAVER = """
import sys
from pathlib import Path
from stable_baselines3 import DQN
from simple_game.training.checkpoints import save_checkpoint
# A full 2M-transition buffer makes each save take a moment, so kills land mid-save.
model = DQN("MlpPolicy", "CartPole-v1", buffer_size=2_000_000, learning_starts=10**9, device="cpu")
model.learn(500)
model.replay_buffer.full = True  # saved whole, as after the buffer wraps
print("ready", flush=True)
while True:  # save over and over until killed
    model.num_timesteps += 1
    save_checkpoint(model, Path(sys.argv[1]), "dqn", with_replay_buffer=True)
"""


@pytest.mark.slow
def test_a_kill_during_save_leaves_every_checkpoint_loadable(tmp_path: Path) -> None:
    rng = random.Random(3)
    for _ in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-c", SAVER, str(tmp_path)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.2, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    checkpoints = list_checkpoints(tmp_path)
    assert checkpoints
    for _, path in checkpoints:  # half-written files stay hidden as .tmp; none is listed
        check_checkpoint(path, "checkpoint", "")
    DQN.load(checkpoints[-1][1], device="cpu")


def test_thinning_keeps_the_first_and_the_newest_checkpoints_and_one_replay_buffer(
    tmp_path: Path,
) -> None:
    model = DQN("MlpPolicy", "CartPole-v1", buffer_size=100, learning_starts=10, device="cpu")
    model.learn(50)
    for steps in (100, 200, 300, 400):
        model.num_timesteps = steps
        save_checkpoint(model, tmp_path, "dqn", with_replay_buffer=True)
        thin_checkpoints(tmp_path, keep_last=2)
    # The first (the agent early on) and the newest two (to resume from).
    assert [s for s, _ in list_checkpoints(tmp_path)] == [100, 300, 400]
    assert [p.name for p in (tmp_path / "checkpoints").glob("*.pkl")] == [
        "replay_buffer_400_steps.pkl"
    ]


@pytest.mark.parametrize("steps", [300, 2500])  # part-filled, and wrapped round (full)
def test_a_saved_replay_buffer_comes_back_identical(steps: int, tmp_path: Path) -> None:
    model = DQN("MlpPolicy", "CartPole-v1", buffer_size=1000, learning_starts=10**9, device="cpu")
    model.learn(steps)
    before = model.replay_buffer
    assert before is not None and before.full == (steps > 1000)
    save_checkpoint(model, tmp_path, "dqn", with_replay_buffer=True)
    saved = tmp_path / "checkpoints" / f"replay_buffer_{steps}_steps.pkl"
    # Only written rows go to disk: 300 of 1000 rows is well under half the full buffer.
    rows = ("observations", "next_observations", "actions", "rewards", "dones", "timeouts")
    full_size = sum(getattr(before, name).nbytes for name in rows)
    assert (saved.stat().st_size < full_size / 2) == (steps == 300)

    resumed = DQN.load(list_checkpoints(tmp_path)[-1][1], device="cpu")
    load_replay_buffer(resumed, saved)
    after = resumed.replay_buffer
    assert after is not None and (after.pos, after.full) == (before.pos, before.full)
    for name in rows:
        assert np.array_equal(getattr(after, name), getattr(before, name)), name
    resumed.set_env(model.get_env())
    resumed.learn(48, reset_num_timesteps=False)  # and it keeps filling from where it was
    assert after.pos == (before.pos + 48) % 1000


@pytest.mark.parametrize(
    ("budget", "every"),
    [(50_000, 5_000), (256, 26), (1_234_567, 124_000), (10_000_000, 500_000), (12_000, 2_000)],
)
def test_auto_checkpoints_follow_the_budget(budget: int, every: int) -> None:
    assert checkpoint_every("auto", budget) == every
    assert checkpoint_every(128, budget) == 128 and checkpoint_every(0, budget) == 0
