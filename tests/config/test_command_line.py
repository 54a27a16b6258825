"""Bad input: one line naming the key and what is allowed, exit code 2, and no run directory."""

from __future__ import annotations

import json
import shutil
from functools import partial
from pathlib import Path

import pytest

from tests.conftest import once_per_session, run_cli, tiny, train_in

BAD_INPUT = [
    (["algo=foo"], "algo=foo is not an option; choose one of: a2c, dqn, ppo, pqn, qrdqn"),
    (["env=tetris"], "env=tetris is not an option; choose one of: beam_rider, breakout"),
    (["policy=resnet"], "policy=resnet is not an option; choose one of: layernorm_nature_cnn, nature_cnn"),
    (["hardware=tpu"], "hardware=tpu is not an option; choose one of: auto, cpu, cuda, mps"),
    (["-m", "algo=ppo,foo"], "algo=foo is not an option"),
    (["train.totl_timesteps=5"], "train.totl_timesteps is not a config key; did you mean train.total_timesteps?"),
    (["train.total_timesteps=abc"], "train.total_timesteps=abc: must be a whole number >= 1"),
    (["-m", "env=glob(*)"], "env=glob(*) picks _common, which is not an option of env; leave the _-names out with glob(*,exclude=_*)"),
    (["train.total_timesteps=0"], "train.total_timesteps=0: must be a whole number >= 1"),
    (["env.n_envs=0"], "env.n_envs=0: must be a whole number >= 1"),
    (["algo.learning_rate.start=0"], "algo.learning_rate.start=0: must be a number > 0"),
    (["algo=dqn", "algo.learning_rate=-1e-4"], "algo.learning_rate=-0.0001: must be a number > 0"),
    (["algo.batch_size=4096"], "algo.batch_size=4096: must be <= the rollout size algo.n_steps * env.n_envs"),
    (["env.sticky_actions=1.5"], "env.sticky_actions=1.5: must be between 0 and 1"),
    (["hardware=cuda"], "hardware.device=cuda: this machine has no CUDA GPU"),
    (["hardware=mps"], "hardware.device=mps: this machine has no Apple GPU"),
    (["env.id=NotAGame-v4"], "env.id=NotAGame-v4: ale-py does not know this game"),
    (["resume=does/not/exist"], "resume=does/not/exist: no such directory"),
    (["total_timesteps=1000"], "total_timesteps is not a config key; did you mean train.total_timesteps?"),
    (["note=a,b"], "note=a,b: a comma list (or range, glob) means one run per value, which needs -m; for text with a comma, quote it"),
    (["report=maybe"], "report=maybe: must be true or false"),
    (["train.video=sure"], "train.video=sure: must be true or false"),
    (["train.total_timesteps=1e6"], "train.total_timesteps=1e6: must be a whole number >= 1; write 1000000, not 1e6"),
    (["train.checkpoint_freq=often"], "train.checkpoint_freq=often: must be auto or a whole number >= 0"),
    (["train.eval_epsilon=1.5"], "train.eval_epsilon=1.5: must be between 0 and 1"),
    (["train.max_minutes=0"], "train.max_minutes=0.0: must be a number > 0 (or null)"),
    (["hardware.fused_optimizer=maybe"], "hardware.fused_optimizer=maybe: must be one of auto, true, false"),
    (["recipe=pong_pqn", "algo=ppo"], "algo=ppo: recipe=pong_pqn is fitted to algo=pqn env=pong"),
    (["recipe=tetris"], "recipe=tetris is not an option; choose one of:"),
    (["-m", "hydra/sweeper=optuna", "hydra.sweeper.n_trials=-2"], "hydra.sweeper.n_trials=-2: must be a whole number >= 1"),
    (["-m", "hydra/sweeper=optuna", "hydra.sweeper.n_trials=abc"], "hydra.sweeper.n_trials=abc: must be a whole number >= 1"),
    (["-m", "hydra/sweeper=optuna", "hydra.sweeper.n_trial=5"], "hydra.sweeper.n_trial is not a Hydra setting; did you mean hydra.sweeper.n_trials?"),
    (["hydra.job.chdirr=true"], "hydra.job.chdirr is not a Hydra setting; did you mean hydra.job.chdir?"),
    (["train.video=yes"], "train.video=yes: must be true or false"),
    (["report=1"], "report=1: must be true or false"),
    (["env.wrapper.clip_reward=on"], "env.wrapper.clip_reward=on: must be true or false"),
    (["-m", "train.video=true,yes"], "train.video=yes: must be true or false"),
    (["algo=dqn", "algo.optimize_memory_usage=maybe"], "algo.optimize_memory_usage=maybe: must be true or false"),
    (["seed=5000000000"], "seed=5000000000: must be a whole number from 0 to 1,000,000,000"),
    (["algo.ent_coef=-0.1"], "algo.ent_coef=-0.1: must be a number >= 0"),
    (["algo=dqn", "algo.learning_starts=-1"], "algo.learning_starts=-1: must be a whole number >= 0"),
    (["-m", "--cfg", "job", "algo=ppo,dqn"], "-m and --cfg: Hydra takes one of --run, -m, --cfg, --info, --shell-completion at a time; to see a sweep's first config"),
]  # fmt: skip


def assert_one_line_error(result, expected: str, workdir: Path) -> None:
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert expected in lines[0]
    assert not (workdir / "runs").exists() and not (workdir / "multirun").exists()


@pytest.mark.parametrize(("args", "expected"), BAD_INPUT, ids=lambda x: " ".join(x)[:40])
def test_bad_input_is_one_line(args: list[str], expected: str, workdir: Path) -> None:
    assert_one_line_error(run_cli(args, workdir), expected, workdir)


def finished(tmp_path_factory: pytest.TempPathFactory, worker_id: str, algo: str) -> Path:
    """A tiny completed run of ``algo`` with checkpoints, trained once per test session.

    Tests copy it before they resume it: they must not change it.
    """
    make = partial(train_in, tiny(algo))
    return once_per_session(tmp_path_factory, worker_id, f"finished_{algo}", make)


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    return finished(tmp_path_factory, worker_id, "ppo")


@pytest.fixture(scope="session")
def finished_dqn_run(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    return finished(tmp_path_factory, worker_id, "dqn")


def resume_case(finished_run: Path, workdir: Path, *args: str):
    copy = workdir / "old_run"
    shutil.copytree(finished_run, copy)
    return copy, run_cli([f"resume={copy}", *args], workdir)


def test_resume_with_another_algo_is_refused(finished_run: Path, workdir: Path) -> None:
    _, result = resume_case(finished_run, workdir, "algo=dqn")
    assert_one_line_error(result, "that run trained algo=ppo, not algo=dqn", workdir)


def test_resume_of_a_completed_run_needs_a_bigger_budget(finished_run: Path, workdir: Path) -> None:
    _, result = resume_case(finished_run, workdir)
    assert_one_line_error(result, "pass a larger train.total_timesteps", workdir)


def test_resume_with_a_budget_already_reached_is_refused(finished_run: Path, workdir: Path) -> None:
    copy = workdir / "old_run"
    shutil.copytree(finished_run, copy)
    summary = json.loads((copy / "summary.json").read_text())  # as if stopped by Ctrl-C
    (copy / "summary.json").write_text(json.dumps({**summary, "status": "interrupted"}))
    before = (copy / "summary.json").read_bytes()
    result = run_cli([f"resume={copy}", "train.total_timesteps=128"], workdir)
    assert_one_line_error(
        result,
        "stopped at 256 steps; train.total_timesteps=128 would leave nothing to train",
        workdir,
    )
    assert (copy / "summary.json").read_bytes() == before  # nothing the user had is changed


def test_resume_without_checkpoints_is_refused(finished_run: Path, workdir: Path) -> None:
    copy = workdir / "old_run"
    shutil.copytree(finished_run, copy)
    shutil.rmtree(copy / "checkpoints")
    result = run_cli([f"resume={copy}"], workdir)
    assert_one_line_error(result, "no checkpoint to resume from", workdir)


def test_resume_from_a_corrupted_checkpoint_is_refused(finished_run: Path, workdir: Path) -> None:
    copy = workdir / "old_run"
    shutil.copytree(finished_run, copy)
    newest = max((copy / "checkpoints").glob("ppo_*_steps.zip"), key=lambda p: p.stat().st_mtime)
    newest.write_bytes(newest.read_bytes()[:500])
    result = run_cli([f"resume={copy}", "train.total_timesteps=512"], workdir)
    assert_one_line_error(result, "is damaged", workdir)
    assert newest.exists()  # nothing the user had is deleted


def test_resume_of_a_directory_that_is_no_run(workdir: Path) -> None:
    (workdir / "empty").mkdir()
    result = run_cli(["resume=empty"], workdir)
    assert_one_line_error(result, "resume=empty: not a run directory", workdir)


@pytest.mark.parametrize(
    ("algo", "override", "trained"),
    [("ppo", "algo.learning_rate.start=0.0001", "algo.learning_rate.start=0.00025"),
     ("dqn", "algo.learning_rate=0.001", "algo.learning_rate=0.0001")],
)  # fmt: skip
def test_resume_with_a_changed_hyperparameter_is_refused_and_the_record_kept(
    algo: str, override: str, trained: str, request: pytest.FixtureRequest, workdir: Path
) -> None:
    # SB3's load restores the checkpoint's hyperparameters: the new value would have been
    # written into .hydra/config.yaml and summary.json, but never used.
    finished = request.getfixturevalue("finished_run" if algo == "ppo" else "finished_dqn_run")
    copy = workdir / "old_run"
    shutil.copytree(finished, copy)
    config = (copy / ".hydra" / "config.yaml").read_bytes()
    result = run_cli([f"resume={copy}", "train.total_timesteps=512", override], workdir)
    assert_one_line_error(result, f"{override}, but that run trained with {trained}", workdir)
    assert (copy / ".hydra" / "config.yaml").read_bytes() == config


def test_resume_trains_with_what_its_record_says_and_says_how_the_schedules_move(
    finished_run: Path, workdir: Path
) -> None:
    from stable_baselines3 import PPO

    copy = workdir / "old_run"
    shutil.copytree(finished_run, copy)
    # The value it trained with may be repeated; the budget may grow.
    args = [f"resume={copy}", "train.total_timesteps=512", "algo.learning_rate.start=0.00025"]
    result = run_cli(args, workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    # From 256 of 256 steps (the schedules' end) to 256 of 512 (their middle).
    assert (
        "note: that run planned 256 steps; its schedules are fractions of the budget, so with "
        "train.total_timesteps=512 they move at 256 steps: the learning rate from 0 to 0.000125; "
        "the clip range from 0 to 0.05"
    ) in result.stderr
    model = PPO.load(copy / "final_model.zip", device="cpu")
    assert model.lr_schedule(1.0) == pytest.approx(2.5e-4)  # what .hydra/config.yaml says
    assert "start: 0.00025" in (copy / ".hydra" / "config.yaml").read_text()


def test_resume_of_a_folder_of_runs_names_them(finished_run: Path, workdir: Path) -> None:
    for name in ("2026-01-01_10-00-00", "2026-01-02_10-00-00"):
        shutil.copytree(finished_run, workdir / "runs" / "ppo_breakout" / name)
    result = run_cli(["resume=runs/ppo_breakout"], workdir)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line == (
        "error: resume=runs/ppo_breakout: a folder of 2 runs, not a run; pick one: "
        "runs/ppo_breakout/2026-01-01_10-00-00, runs/ppo_breakout/2026-01-02_10-00-00"
    )
