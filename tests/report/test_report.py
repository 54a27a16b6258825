"""experiments.md: rows from real runs, every status, hand-written text kept, same bytes twice.

Two kinds of run directories:

- ``lab`` (slow, once per session): real tiny training runs launched from a directory
  that holds an experiments.md with hand-written text, so Hydra's end-of-run callback
  refreshes it as it would for a user: a PPO run with a note, a DQN run, a 2-job sweep;
  and a real 2-trial Optuna sweep with the project's sweeper.
- hand-made directories (fast): what crashes and kills leave behind: no summary.json,
  truncated JSON, a failed run, running runs with a fresh and a stale heartbeat.

Every test regenerates the page in its own temp directory, never in the repository.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hydra import initialize_config_dir
from omegaconf import DictConfig, OmegaConf

from simple_game.bench.report_speed import make_run_dirs
from simple_game.config.groups import CONF_DIR
from simple_game.records.paths import OPTUNA_RESULTS_FILE as RESULTS_FILE
from simple_game.records.run_summary import STALE_AFTER
from simple_game.report import PAGE, PLOTS_DIR, write_report
from simple_game.report.callback import refresh
from simple_game.report.page import BEGIN, END
from simple_game.report.recipe_defaults import _recipe_config
from simple_game.report.runs import CurvePoint, Run, read_run
from simple_game.report.setups import setup_key
from tests.conftest import once_per_session, run_cli, tiny

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
BEFORE = "# My lab notebook\n\nHand-written | notes, kept as they are.\r\n\n"
AFTER = "\n## Conclusions\n\nPPO beat DQN here (so far). \xe9\n"
HAND_WRITTEN = f"{BEFORE}{BEGIN}\n{END}\n{AFTER}"
NOTE = "lower lr | entropy 0.02"
# Real training on a busy 2-core machine: the lab's four runs can take several minutes, and
# a test waiting for another worker to finish training them counts that time too.
LONG = pytest.mark.timeout(1200)


def rows(page: str, marker: str) -> list[str]:
    """Table rows of ``page`` that contain ``marker``."""
    return [line for line in page.splitlines() if line.startswith("| ") and marker in line]


def game_rows(page: str, marker: str) -> list[str]:
    """Rows of the per-game tables (they start with the date) that contain ``marker``."""
    return [row for row in rows(page, marker) if row.startswith("| 20")]


def cells(row: str) -> list[str]:
    """A table row's cells; an escaped ``\\|`` stays inside its cell."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]


def page_text(root: Path) -> str:
    """experiments.md exactly as stored (read_text would turn \\r\\n into \\n)."""
    return (root / PAGE).read_bytes().decode("utf-8", "surrogateescape")


STATUS = 12  # column of Status in a game table (docs/report.md lists the columns)


# --- Real runs ---------------------------------------------------------------------------


# Evaluation games end after 2,000 frames (500 agent steps) at the latest: an untrained
# agent's Breakout game is short anyway, but a 256-step DQN is already greedy and may never
# press FIRE, and then its game would run to the 108,000-frame cap.
SHORT_GAMES = "env.max_frames_per_episode=2000"


def _train_lab(root: Path) -> Path:
    (root / PAGE).write_bytes(HAND_WRITTEN.encode())
    commands = [
        ["env=breakout", SHORT_GAMES, *tiny("ppo"), f"note={NOTE}",
         "algo.learning_rate.start=1e-4", "hydra.run.dir=runs/ppo_breakout/2026-01-01_00-00-00"],
        ["env=breakout", SHORT_GAMES, *tiny("dqn"),
         "hydra.run.dir=runs/dqn_breakout/2026-01-01_01-00-00"],
        ["-m", "seed=0,1", "env=breakout", SHORT_GAMES, *tiny("ppo"),
         "hydra.sweep.dir=multirun/2026-01-02_00-00-00"],
    ]  # fmt: skip
    for args in commands:
        result = run_cli(args, root)
        assert result.returncode == 0, result.stderr[-3000:]
    return root


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """Four real tiny Breakout runs (PPO, DQN, a 2-job PPO sweep), trained once per session.

    Tests only read it; they regenerate copies.
    """
    return once_per_session(tmp_path_factory, worker_id, "report_lab", _train_lab)


def copy_lab(lab: Path, dest: Path, heavy: bool = True) -> Path:
    """A copy of the lab; ``heavy=False`` leaves out models, checkpoints and TensorBoard."""
    ignore = None if heavy else shutil.ignore_patterns("*.zip", "checkpoints", "tensorboard")
    shutil.copytree(lab, dest, ignore=ignore)
    return dest


@pytest.mark.slow
@LONG
def test_training_refreshes_the_page_and_keeps_hand_written_text(lab: Path) -> None:
    page = page_text(lab)
    assert page.startswith(BEFORE + BEGIN + "\n")
    assert page.endswith(END + "\n" + AFTER)
    assert len(rows(page, "| completed (whole budget) |")) == 4  # the game table says how
    assert len(rows(page, "| completed |")) == 2  # the sweep's table


@pytest.mark.slow
@LONG
def test_rows_of_real_runs(lab: Path) -> None:
    page = page_text(lab)
    (ppo,) = game_rows(page, "[ppo_breakout](runs/ppo_breakout/2026-01-01_00-00-00)")
    assert "lower lr \\| entropy 0.02" in ppo  # the note, its | escaped
    assert "`algo.learning_rate.start=1e-4`" in ppo
    assert "progress_bar" not in ppo and "hydra" not in ppo  # bookkeeping is not shown
    assert "| 256 |" in ppo  # steps done
    assert "[curve](runs/ppo_breakout/2026-01-01_00-00-00/learning_curve.png)" in ppo
    assert "%" in ppo  # human-normalised (Breakout has published reference scores)

    (dqn,) = game_rows(page, "[dqn_breakout](runs/dqn_breakout/2026-01-01_01-00-00)")
    assert "| dqn | simple_nature_cnn |" in dqn and "`algo.buffer_size=1000`" in dqn

    jobs = game_rows(page, "](multirun/2026-01-02_00-00-00/")
    assert [cells(job)[1].split("]")[0] for job in sorted(jobs)] == [
        "[ppo_breakout #0",
        "[ppo_breakout #1",
    ]
    ranking = [r for r in rows(page, "](multirun/2026-01-02_00-00-00/") if cells(r)[0].isdigit()]
    assert [cells(row)[0] for row in ranking] == ["1", "2"]  # the sweep's jobs, best first
    assert "- Swept: `seed` = 0, 1" in page
    assert "- Sweeper: BasicSweeper" in page
    assert "[multirun/2026-01-02_00-00-00](multirun/2026-01-02_00-00-00)" in page

    plot = f"{PLOTS_DIR}/breakout-eval-curves.png"
    assert f"]({plot})" in page
    assert (lab / plot).read_bytes().startswith(b"\x89PNG")


@pytest.mark.slow
@LONG
def test_deleting_heavy_files_changes_nothing(lab: Path, tmp_path: Path) -> None:
    """Rows come from the small files: without models, checkpoints and TensorBoard events
    the regenerated page is byte for byte the one written when training ended."""
    root = copy_lab(lab, tmp_path / "lab", heavy=False)
    assert not list(root.rglob("*.zip")) and not list(root.rglob("tensorboard"))
    write_report(root)
    assert (root / PAGE).read_bytes() == (lab / PAGE).read_bytes()


@pytest.mark.slow
@LONG
def test_report_command_is_idempotent_and_location_independent(lab: Path, tmp_path: Path) -> None:
    one = copy_lab(lab, tmp_path / "one")
    result = run_cli([], one, module="simple_game.report")
    assert result.returncode == 0, result.stderr
    first = (one / PAGE).read_bytes()
    plot = (one / PLOTS_DIR / "breakout-eval-curves.png").read_bytes()
    assert run_cli([], one, module="simple_game.report").returncode == 0
    assert (one / PAGE).read_bytes() == first

    two = copy_lab(lab, tmp_path / "two")
    (two / PLOTS_DIR / "breakout-eval-curves.png").unlink()  # force a redraw
    write_report(two)
    assert (two / PAGE).read_bytes() == first  # relative paths: the page does not move
    assert (two / PLOTS_DIR / "breakout-eval-curves.png").read_bytes() == plot


# --- Hand-made directories ---------------------------------------------------------------


def summary(status: str = "completed", **fields: object) -> dict:
    """A summary.json as train.py writes it (docs/run-directory.md)."""
    return {
        "status": status,
        "error": None,
        "experiment": "ppo_pong",
        "algo": "ppo",
        "env": "pong",
        "env_id": "PongNoFrameskip-v4",
        "policy": "simple_nature_cnn",
        "device": "cpu",
        "seed": 0,
        "note": "",
        "overrides": ["env=pong"],
        "total_timesteps": 1000,
        "timesteps": 1000,
        "wall_time_s": 10.0,
        "steps_per_s": 100.0,
        "eval_mean_reward": -20.0,
        "eval_std_reward": 1.0,
        "eval_episodes": 2,
        "best_eval_mean_reward": -19.0,
        "started_at": "2026-02-01T10:00:00+00:00",
        "updated_at": "2026-02-01T10:10:00+00:00",
        "finished_at": "2026-02-01T10:10:00+00:00",
        **fields,
    }


def make_run(root: Path, name: str, data: dict | str | None, evals: str | None = None) -> Path:
    """runs/ppo_pong/<name>/ with .hydra/, summary.json (a dict, raw text or none)."""
    run_dir = root / "runs" / "ppo_pong" / name
    (run_dir / ".hydra").mkdir(parents=True)
    (run_dir / ".hydra" / "config.yaml").write_text(
        "algo:\n  name: ppo\nenv:\n  name: pong\n  id: PongNoFrameskip-v4\n"
        "policy:\n  name: simple_nature_cnn\nseed: 3\nexperiment: ${algo.name}_${env.name}\n"
        "note: ''\ntrain:\n  total_timesteps: 1000\n"
    )
    (run_dir / ".hydra" / "overrides.yaml").write_text("- env=pong\n- seed=3\n")
    if isinstance(data, dict):
        (run_dir / "summary.json").write_text(json.dumps(data))
    elif isinstance(data, str):
        (run_dir / "summary.json").write_text(data)
    if evals is not None:
        (run_dir / "evaluations.jsonl").write_text(evals)
    return run_dir


def eval_line(steps: int, mean: float, std: float = 0.5) -> str:
    return json.dumps({"timesteps": steps, "mean_reward": mean, "std_reward": std}) + "\n"


@pytest.fixture
def broken_lab(tmp_path: Path) -> Path:
    """One run directory per way a run can end up, plus files the report must ignore."""
    fresh, stale = NOW - timedelta(minutes=1), NOW - STALE_AFTER - timedelta(minutes=1)
    make_run(
        tmp_path, "2026-02-01_10-00-00", summary(), eval_line(500, -20.5) + eval_line(1000, -19.0)
    )
    make_run(tmp_path, "2026-02-01_11-00-00", None)  # died before writing summary.json
    make_run(tmp_path, "2026-02-01_12-00-00", '{"status": "runn')  # truncated JSON
    make_run(
        tmp_path,
        "2026-02-01_13-00-00",
        summary("failed", error="RuntimeError: boom | bang", note=NOTE),
    )
    make_run(
        tmp_path,
        "2026-02-01_14-00-00",
        summary(
            "running",
            updated_at=fresh.isoformat(),
            eval_mean_reward=None,
            timesteps=300,
            finished_at=None,
        ),
        eval_line(100, -21.0) + '{"timesteps": 300, "mean_rew',
    )  # torn last line
    make_run(
        tmp_path,
        "2026-02-01_15-00-00",
        summary("running", updated_at=stale.isoformat(), finished_at=None),
    )
    make_run(tmp_path, "2026-02-01_16-00-00", summary("interrupted", timesteps=400))
    make_run(tmp_path, "2026-02-01_17-00-00", summary("pruned"))
    make_run(tmp_path, "2026-02-01_18-00-00", "[1, 2, 3]")  # valid JSON, not a summary
    (tmp_path / "runs" / "README.txt").write_text("not a run")
    (tmp_path / "runs" / "scratch" / "notes").mkdir(parents=True)
    return tmp_path  # fmt: skip


def row_of(page: str, name: str) -> str:
    (row,) = game_rows(page, f"(runs/ppo_pong/{name})")
    return row


def test_every_status_gets_a_row(broken_lab: Path) -> None:
    write_report(broken_lab, now=NOW)
    page = page_text(broken_lab)
    assert len(game_rows(page, "](runs/ppo_pong/")) == 9
    status = {name: cells(row_of(page, name))[STATUS] for name in [
        "2026-02-01_10-00-00", "2026-02-01_11-00-00", "2026-02-01_12-00-00",
        "2026-02-01_13-00-00", "2026-02-01_14-00-00", "2026-02-01_15-00-00",
        "2026-02-01_16-00-00", "2026-02-01_17-00-00", "2026-02-01_18-00-00"]}  # fmt: skip
    assert list(status.values()) == [
        "completed (whole budget)", "broken", "broken", "failed", "running", "stale",
        "interrupted", "pruned", "broken",
    ]  # fmt: skip

    missing = row_of(page, "2026-02-01_11-00-00")
    assert "no summary.json" in missing
    assert "| ppo | simple_nature_cnn |" in missing and "| 3 |" in missing  # from .hydra/
    assert "2026-02-01 11:00" in missing  # start time from the directory name
    assert "summary.json unreadable" in row_of(page, "2026-02-01_12-00-00")

    failed = row_of(page, "2026-02-01_13-00-00")
    assert "lower lr \\| entropy 0.02 — *RuntimeError: boom \\| bang*" in failed

    running = row_of(page, "2026-02-01_14-00-00")
    assert "| 300 of 1k |" in running
    assert "| -21.0 ± 0.5 |" in running  # latest eval from evaluations.jsonl, torn line skipped

    done = row_of(page, "2026-02-01_10-00-00")
    assert "| -20.0 ± 1.0 | -19.0 ± 0.5 |" in done  # final from summary, best from history
    assert "| 0:00:10 | 100 |" in done


def test_stale_after_a_quarter_of_an_hour_without_heartbeat(broken_lab: Path) -> None:
    later = NOW + STALE_AFTER
    write_report(broken_lab, now=later)
    page = page_text(broken_lab)
    assert cells(row_of(page, "2026-02-01_14-00-00"))[STATUS] == "stale"


def test_regeneration_keeps_hand_written_text_byte_for_byte(broken_lab: Path) -> None:
    page = broken_lab / PAGE
    page.write_bytes(HAND_WRITTEN.encode() + b"\xff raw byte\n")
    write_report(broken_lab, now=NOW)
    text = page.read_bytes()
    assert text.startswith((BEFORE + BEGIN + "\n").encode())
    assert text.endswith((END + "\n" + AFTER).encode() + b"\xff raw byte\n")
    mtime = page.stat().st_mtime_ns
    write_report(broken_lab, now=NOW)
    assert page.read_bytes() == text and page.stat().st_mtime_ns == mtime  # not even rewritten


def test_new_page_and_page_without_markers(tmp_path: Path) -> None:
    write_report(tmp_path)
    page = page_text(tmp_path)
    assert page.startswith("# Experiments\n") and "No runs yet" in page
    assert page.count(BEGIN) == 1 and page.endswith(END + "\n")

    (tmp_path / PAGE).write_text("my notes\n")
    write_report(tmp_path)
    assert page_text(tmp_path).startswith(f"my notes\n\n{BEGIN}\n")


def test_damaged_markers_leave_the_page_alone(tmp_path: Path) -> None:
    damaged = f"notes\n{END}\n{BEGIN}\n"
    (tmp_path / PAGE).write_text(damaged)
    with pytest.raises(ValueError, match="markers"):
        write_report(tmp_path)
    result = run_cli([], tmp_path, module="simple_game.report")
    assert result.returncode == 2 and "markers" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert page_text(tmp_path) == damaged


def test_refresh_only_where_a_page_exists_and_report_is_on(broken_lab: Path) -> None:
    def config(report: bool) -> DictConfig:
        return OmegaConf.create({"report": report, "hydra": {"runtime": {"cwd": str(broken_lab)}}})

    refresh(config(True))
    assert not (broken_lab / PAGE).exists()  # never creates a page by itself
    (broken_lab / PAGE).write_bytes(HAND_WRITTEN.encode())
    refresh(config(False))
    assert page_text(broken_lab) == HAND_WRITTEN
    refresh(config(True))
    assert "ppo_pong" in page_text(broken_lab)


def test_plots_are_deterministic_and_removed_with_their_game(broken_lab: Path) -> None:
    write_report(broken_lab, now=NOW)
    plot = broken_lab / PLOTS_DIR / "pong-eval-curves.png"
    first = plot.read_bytes()
    plot.unlink()
    write_report(broken_lab, now=NOW)
    assert plot.read_bytes() == first
    (broken_lab / PLOTS_DIR / "mine.png").write_bytes(b"user's own file")
    shutil.rmtree(broken_lab / "runs")
    write_report(broken_lab, now=NOW)
    assert not plot.exists() and (broken_lab / PLOTS_DIR / "mine.png").exists()


def test_synthetic_runs_all_appear(tmp_path: Path) -> None:
    """The benchmark's directories (sweeps, every status, broken ones) in a smaller dose."""
    make_run_dirs(tmp_path, 40)
    write_report(tmp_path)
    page = page_text(tmp_path)
    assert len(game_rows(page, "](")) == 40  # one row per run in the game tables
    assert "## Sweeps" in page


def recipe_run(root: Path, name: str, *overrides: str) -> Run:
    """A ``recipe=pong_ppo_fast`` run typed with ``overrides``, as the report reads it."""
    typed = ["recipe=pong_ppo_fast", "seed=0", *overrides]
    run_dir = make_run(root, name, summary(recipe="pong_ppo_fast", overrides=typed))
    return read_run(root, run_dir, datetime.now(timezone.utc))


def test_an_override_the_recipe_now_sets_is_no_change_of_set_up(tmp_path: Path) -> None:
    # The pong_ppo_fast reference runs were typed with algo.learning_rate.start=5e-4 before
    # conf/recipe/pong_ppo_fast.yaml set it: they and a plain recipe run are one set-up.
    typed = recipe_run(tmp_path, "a", "algo.learning_rate.start=5e-4", "train.progress_bar=false")
    plain = recipe_run(tmp_path, "b")
    other = recipe_run(tmp_path, "c", "algo.learning_rate.start=1e-4")
    assert typed.overrides[-2:] == ("algo.learning_rate.start=5e-4", "train.progress_bar=false")
    assert typed.hyperparameters == plain.hyperparameters == ["recipe=pong_ppo_fast"]
    assert setup_key(typed) == setup_key(plain) != setup_key(other)
    assert other.hyperparameters == ["recipe=pong_ppo_fast", "algo.learning_rate.start=1e-4"]


def test_recipe_values_are_read_inside_a_runs_own_hydra(tmp_path: Path) -> None:
    # The report refresh at the end of a run runs inside that run's Hydra, where a second
    # config loader cannot start: the run's own one is used.
    _recipe_config.cache_clear()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        run = recipe_run(tmp_path, "a", "algo.learning_rate.start=5e-4")
    assert run.same_as_recipe == ("seed=0", "algo.learning_rate.start=5e-4")


def test_optuna_study_in_a_sqlite_file_of_the_sweep(tmp_path: Path) -> None:
    """A real Optuna study (complete, pruned, failed trials) in a SQLite file in a sweep dir,
    no results file: the generic way, for studies made by other sweepers."""
    import optuna

    sweep = tmp_path / "multirun" / "2026-02-02_00-00-00"
    sweep.mkdir(parents=True)
    (sweep / "multirun.yaml").write_text(
        "hydra:\n  sweeper:\n    _target_: some.OptunaSweeper\n    params:\n"
        "      algo.gamma: interval(0.9, 0.999)\n  overrides:\n    task:\n    - env=pong\n"
    )
    study = optuna.create_study(
        study_name="pong_gamma", storage=f"sqlite:///{sweep / 'optuna.db'}", direction="maximize"
    )

    def objective(trial: optuna.Trial) -> float:
        gamma = trial.suggest_float("algo.gamma", 0.9, 0.999)
        if trial.number == 3:
            raise optuna.TrialPruned()
        if trial.number == 4:
            raise RuntimeError("diverged")
        return -21 + 10 * gamma + trial.number

    study.optimize(objective, n_trials=6, catch=(RuntimeError,))
    write_report(tmp_path)
    page = page_text(tmp_path)
    assert "### Study `pong_gamma`" in page
    assert "trials: 6 (4 complete, 1 fail, 1 pruned)" in page
    assert f"**Best value:** {study.best_value:.4g} (trial 5)" in page
    assert "- Search space: `algo.gamma=interval(0.9, 0.999)`" in page
    assert len(rows(page, "`algo.gamma=")) == 4  # top trials: the 4 complete ones

    # The storage gone, a results file (as the project's sweeper writes) still tells.
    (sweep / "optuna.db").rename(tmp_path / "moved.db")
    (sweep / RESULTS_FILE).write_text(
        "study_name: pong_gamma\nstorage: sqlite:///" + str(sweep / "optuna.db") + "\n"
        "direction: maximize\ntrials: {complete: 4, pruned: 1, fail: 1}\n"
        "best_trial: 5\nbest_value: 2.5\nbest_params: {algo.gamma: 0.95}\n"
    )
    write_report(tmp_path)
    page = page_text(tmp_path)
    assert "Numbers from the sweep's results file" in page
    assert "**Best value:** 2.5 (trial 5) with `algo.gamma=0.95`" in page


def test_study_of_a_running_optuna_sweep_from_its_jobs(tmp_path: Path) -> None:
    """Before the sweeper writes its results file, the jobs' tuning.* overrides (as Hydra
    escapes them) name the study in the shared storage, which holds other studies too."""
    import optuna

    storage = f"sqlite:///{tmp_path / 'multirun' / 'optuna.db'}"
    (tmp_path / "multirun").mkdir()
    for name in ("other_study", "ppo_pong_2026-02-03_00-00-00"):
        study = optuna.create_study(study_name=name, storage=storage, direction="maximize")
        study.optimize(lambda trial: trial.suggest_float("algo.gamma", 0.9, 0.99), n_trials=2)
    job = make_run(tmp_path, "unused", summary("running", updated_at=NOW.isoformat()))
    sweep = tmp_path / "multirun" / "2026-02-03_00-00-00"
    sweep.mkdir()
    job = job.rename(sweep / "0")
    data = json.loads((job / "summary.json").read_text())
    data["overrides"] += [
        "tuning.study=ppo_pong_2026-02-03_00-00-00",
        "tuning.storage=" + storage.replace(":", "\\:"),
        "tuning.trial=1",
    ]
    (job / "summary.json").write_text(json.dumps(data))
    write_report(tmp_path, now=NOW)
    page = page_text(tmp_path)
    assert "### Study `ppo_pong_2026-02-03_00-00-00`" in page and "other_study" not in page
    assert "trials: 2 (2 complete)" in page
    assert "tuning." not in page


@pytest.mark.slow
@LONG
def test_real_optuna_sweep_gets_a_study_section(tmp_path: Path) -> None:
    """The project's Optuna sweeper, 2 tiny Pong trials; the end-of-sweep refresh shows it."""
    (tmp_path / PAGE).write_bytes(HAND_WRITTEN.encode())
    result = run_cli(
        ["-m", "hydra/sweeper=optuna", "search_space@hydra.sweeper.params=none",
         "hydra/sweeper/sampler=random", "hydra.sweeper.sampler.seed=0",
         "hydra.sweeper.n_trials=2", "hydra/sweeper/pruner=none",
         "env.max_frames_per_episode=choice(200,400)",
         "env=pong", "env.n_envs=2", "algo.n_steps=16", "algo.batch_size=32",
         "algo.n_epochs=1", "train.total_timesteps=64", "train.eval_freq=32",
         "train.n_eval_episodes=1", "train.checkpoint_freq=0", "train.progress_bar=false",
         "hydra.sweep.dir=multirun/2026-03-01_00-00-00"],
        tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    page = page_text(tmp_path)
    assert page.startswith(BEFORE) and page.endswith(AFTER)
    assert "### Study `ppo_pong_2026-03-01_00-00-00`" in page
    assert "trials: 2 (2 complete)" in page
    assert "`python -m simple_game $(cat multirun/2026-03-01_00-00-00/best_overrides.txt)`" in page
    assert "tuning." not in page  # the trial bookkeeping is not shown as hyperparameters
    assert len(game_rows(page, "](multirun/2026-03-01_00-00-00/")) == 2


@pytest.mark.parametrize("root", ["nope", "README.md"])
def test_report_root_that_is_no_directory_gives_one_line(root: str, tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("not a directory\n")
    result = run_cli(["--root", root], tmp_path, module="simple_game.report")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: --root {root}: "), lines
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md"]


def test_a_final_evaluation_at_the_last_step_is_pooled_into_that_point(tmp_path: Path) -> None:
    # The same weights played twice: one point of all 16 games, drawn where the step count was
    # first evaluated, as on the run's learning curve and in the recipe's reference curves.
    periodic = {"timesteps": 1000, "mean_reward": -10.0, "wall_time_s": 60.0}
    final = {"timesteps": 1000, "mean_reward": -7.0, "wall_time_s": 75.0}
    lines = [
        {"timesteps": 500, "mean_reward": -20.0, "wall_time_s": 30.0, "episode_rewards": [-20.0]},
        {**periodic, "episode_rewards": [-12.0, -8.0, -10.0, -10.0]},
        {**final, "episode_rewards": [-7.0, -7.0, -7.0, -7.0]},
    ]
    run_dir = make_run(tmp_path, "pooled", summary(), "\n".join(json.dumps(e) for e in lines))
    run = read_run(tmp_path, run_dir, datetime.now(timezone.utc))
    assert run.curve == (CurvePoint(500, 0.5, -20.0), CurvePoint(1000, 1.0, -8.5))
    assert run.final is not None and run.final.mean == -20.0  # the table's Final: summary.json


def test_a_run_knows_its_target_and_when_it_first_reached_it(tmp_path: Path) -> None:
    lines = [
        {"timesteps": 500, "mean_reward": 10.0, "wall_time_s": 30.0},
        {"timesteps": 1000, "mean_reward": 18.5, "wall_time_s": 60.0},  # stops here
        {"timesteps": 1000, "mean_reward": 15.0, "wall_time_s": 75.0},  # final: fresh games
    ]
    stop = "an evaluation reached train.target_score=18 (best 18.5)"
    run_dir = make_run(tmp_path, "target", summary(stop_reason=stop),
                       "\n".join(json.dumps(e) for e in lines))  # fmt: skip
    (run_dir / ".hydra" / "config.yaml").write_text("train:\n  target_score: 18\n")
    run = read_run(tmp_path, run_dir, NOW)
    assert (run.ended_by, run.target_score) == ("target", 18.0)
    assert run.reached == CurvePoint(1000, 1.0, 18.5)  # not the pooled point (16.75)


def test_a_final_evaluation_that_replayed_the_crossing_games_is_marked(tmp_path: Path) -> None:
    # pong_pqn seed 0's last two lines: the model that crossed the target, the same 8 games
    # again (no seed recorded). A newer run's final evaluation records its own seed: even
    # with the same scores (a game of Pong can repeat), its games were new ones.
    games = [20.0, 20.0, 19.0, 16.0]
    crossing = {"timesteps": 1000, "mean_reward": 18.75, "episode_rewards": games}
    old = [{"timesteps": 500, "mean_reward": 2.0}, crossing, crossing]
    crossed = {**crossing, "mean_reward": 18.5, "episode_rewards": [20.0, 20.0, 19.0, 15.0]}
    new = [{**crossed, "seed": 10003}, {**crossed, "seed": 10011}]
    for name, lines, final in (("old", old, 18.75), ("new", new, 18.5)):
        make_run(tmp_path, name, summary(eval_mean_reward=final),
                 "\n".join(json.dumps(e) for e in lines))  # fmt: skip
    assert read_run(tmp_path, tmp_path / "runs" / "ppo_pong" / "old", NOW).final_replayed
    assert not read_run(tmp_path, tmp_path / "runs" / "ppo_pong" / "new", NOW).final_replayed
    write_report(tmp_path, now=NOW)
    page = page_text(tmp_path)
    assert "18.8 ± 1.0 †" in row_of(page, "old") and "†" not in row_of(page, "new")
    assert "† Its final evaluation replayed the games of its last periodic one" in page
    # At a glance the fresh 18.5 outranks the replayed 18.8: that one was the evaluation that
    # crossed the target, chosen for being high.
    glance = page.split("## At a glance")[1].split("\n## ")[0]
    assert "| 18.5 ± " in glance and "†" not in glance.split("|---|")[-1]


def test_the_page_compares_set_ups_with_three_finished_runs(tmp_path: Path) -> None:
    for seed in range(3):
        lines = eval_line(500, -10.0 + seed) + eval_line(1000, 1.0 * seed)
        make_run(tmp_path, f"seed{seed}", summary(seed=seed, eval_mean_reward=seed), lines)
    dqn = summary(algo="dqn", experiment="dqn_pong", overrides=["algo=dqn"])
    make_run(tmp_path, "dqn", dqn, eval_line(1000, -20.0))
    write_report(tmp_path, now=NOW)
    page = page_text(tmp_path)
    comparison = page.split("### Set-ups compared across seeds", 1)[1].split("### Every run")[0]
    assert "| ppo | 3 | none |  | 1.0 [0.0, 2.0] |" in comparison  # no target: no race
    assert "Too few seeds for an interval" in comparison and "- dqn: 1 finished run" in comparison
