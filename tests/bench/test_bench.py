"""``python -m simple_game.bench``: the stock-vs-project table a user quotes, from real runs."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from simple_game.bench.__main__ import main
from simple_game.bench.parity import compare_scores
from simple_game.bench.setups import ABLATIONS
from simple_game.bench.speed import trials
from tests.conftest import TINY_ALGO, as_overrides


@pytest.mark.slow
def test_a_tiny_bench_times_both_pipelines_and_writes_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # SB3 makes its default log folder (here: this path) for any model without a logger.
    sb3_default_logs = tmp_path / "sb3_default_logs"
    monkeypatch.setenv("SB3_LOGDIR", str(sb3_default_logs))
    out = tmp_path / "bench.json"
    main(
        [
            *("--repeats", "1", "--env-steps", "20", "--ppo-steps", "256", "--dqn-steps", "20"),
            # One seed of the learning check, numbered to extend an earlier run's seeds 0-6.
            *("--parity-steps", "64", "--parity-seeds", "1", "--parity-first-seed", "7"),
            *("--parity-episodes", "1", "--json", str(out)),
        ]
    )

    report = json.loads(out.read_text())
    assert report["machine"]["cores"] >= 1
    results = report["results"]
    assert set(results) == {"env", "ppo", "dqn"}
    for kind, rows in results.items():
        assert set(rows) == {"stock SB3", "project"}, kind
        assert rows["stock SB3"]["ratio_to_stock"] == 1.0
        for row in rows.values():
            (rate,) = row["wall_steps_per_s"]
            assert rate > 0 and row["median"] == rate
        assert rows["project"]["ratio_to_stock"] == pytest.approx(
            rows["project"]["median"] / rows["stock SB3"]["median"], abs=0.005
        )
    parity = report["learning_parity"]
    assert parity["seeds"] == [7] and parity["steps"] == 64
    assert all(len(parity[side]["scores"]) == 1 for side in ("stock SB3", "project"))
    printed = capsys.readouterr().out
    assert "PPO training" in printed and "x stock" in printed
    assert "Learning parity after 64 PPO steps, seeds [7]" in printed
    # The bench trains its models without leaving SB3's empty log folders behind.
    assert not sb3_default_logs.exists()


@pytest.mark.slow
def test_pqn_bench_times_its_defaults_against_the_recipes_shape(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bench.json"
    main(
        ["--only", "pqn", "--game", "pong", "--repeats", "1", "--pqn-steps", "64"]
        + ["--json", str(out)]
    )

    rows = json.loads(out.read_text())["results"]["pqn"]
    # Each set-up is named by the shape it timed, read from conf/algo/pqn.yaml and the recipe.
    assert list(rows) == [
        "8x128, 4 epochs of 256 (defaults)",
        "128x32, 2 epochs of 128 (pong_pqn)",
    ]
    defaults, recipe = rows.values()
    assert defaults["ratio_to_defaults"] == 1.0
    assert recipe["ratio_to_defaults"] == pytest.approx(
        recipe["median"] / defaults["median"], abs=0.005
    )
    assert defaults["median"] > 0 and recipe["median"] > 0
    printed = capsys.readouterr().out
    assert "PQN training" in printed and "x defaults" in printed


def test_pqn_ablations_switch_each_lever_off_in_the_recipes_shape() -> None:
    runs = trials(argparse.Namespace(only=["pqn"], ablations=True))
    assert [name for _, name, _, _ in runs[:2]] == [
        "8x128, 4 epochs of 256 (defaults)",
        "128x32, 2 epochs of 128 (pong_pqn)",
    ]
    recipe = runs[1][2]
    assert "algo.n_envs=128" in recipe
    for (kind, name, overrides, stock), (lever, off) in zip(
        runs[2:], ABLATIONS.items(), strict=True
    ):
        assert (kind, stock) == ("pqn", False)
        assert name == f"pong_pqn, {lever.removeprefix('project, ')}"
        assert overrides == [*recipe, *off]


@pytest.mark.slow
def test_profile_splits_a_recipes_steps_into_games_acting_and_learning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bench.json"
    small = ["algo.n_envs=2", "algo.n_steps=64", "algo.batch_size=64"]
    main(["--only", "", "--profile", "pong_pqn", "--profile-steps", "256", "--json", str(out)]
         + ["--overrides", *small])  # fmt: skip

    (result,) = json.loads(out.read_text())["profile"]
    table = result["ms_per_1000_steps"]
    assert result["recipe"] == "pong_pqn" and result["steps"] == 256
    # Every part of the loop is there, the backward pass of the convolutions among them.
    for line in (
        "games (emulator, preprocessing, frame stack)",
        "acting: convolution",
        "learning, forward and loss: LayerNorm",
        "learning, backward: convolution",
    ):
        assert table[line] > 0, line  # fmt: skip
    # Each op counts once: what is left of a range after its ops (Python) is never negative.
    leftovers = [v for k, v in table.items() if "Python" in k or k.startswith("the rest")]
    assert len(leftovers) == 3 and min(leftovers) > -1.0, table
    assert "pong_pqn:" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("op", "kind"),
    [
        ("aten::convolution_backward", "convolution"),
        ("aten::mkldnn_convolution", "convolution"),
        ("aten::native_layer_norm_backward", "LayerNorm"),
        ("aten::addmm", "linear"),
        ("aten::threshold_backward", "ReLU"),
        ("aten::_to_copy", "casts and copies"),
        ("aten::add_", "other ops"),
    ],
)
def test_profile_names_each_ops_kind_forward_and_backward(op: str, kind: str) -> None:
    from simple_game.bench.profile import op_kind

    assert op_kind(op) == kind


def test_unknown_measurement_is_refused_with_the_allowed_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--only", "ppo,sac"])
    assert exit_info.value.code != 0
    assert (
        "--only: unknown measurement sac; use dqn, env, ppo, pqn, share" in capsys.readouterr().err
    )


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--parity-first-seed", "-1", "--parity-first-seed=-1: use 0 or more"),
        ("--parity-seeds", "0", "--parity-seeds=0: use 1 or more"),
        ("--repeats", "0", "--repeats=0: use 1 or more"),
        ("--ppo-steps", "-5", "--ppo-steps=-5: use 1 or more"),
        ("--game", "tetris", "env=tetris is not an option"),
        (
            "--json",
            "no/such/folder/bench.json",
            "--json=no/such/folder/bench.json: its folder does not exist",
        ),
        ("--seeds", "-1", "--seeds=-1: use whole numbers >= 0"),
    ],
)
def test_bad_bench_option_is_refused_before_any_training(
    option: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    skill = ["--time-to-skill", "pong_pqn"] if option == "--seeds" else []
    with pytest.raises(SystemExit) as exit_info:
        main(["--only", "", "--parity-steps", "64", *skill, option, value])
    assert exit_info.value.code != 0
    assert message in capsys.readouterr().err


def test_learning_check_reports_welch_and_paired_t() -> None:
    # Seeds 0-3 of the 250k-step Breakout check (docs/performance.md): the project scored
    # lower on every seed, which the paired t sees and Welch's t, blind to the pairing, does not.
    stock, project = [7.3, 9.8, 2.1, 8.6], [6.4, 7.0, 1.3, 5.8]
    summary = compare_scores(stock, project)
    assert summary["stock SB3"]["scores"] == stock
    assert summary["project"]["mean"] == pytest.approx(5.125)
    assert summary["differences"] == pytest.approx([-0.9, -2.8, -0.8, -2.8])
    assert summary["welch_t"] == pytest.approx(-0.85, abs=0.01)
    assert summary["paired_t"] == pytest.approx(-3.24, abs=0.01)
    json.dumps(summary)  # goes into bench.json as it is


def test_learning_check_with_one_seed_has_no_t() -> None:
    summary = compare_scores([3.0], [4.0])
    assert summary["welch_t"] == summary["paired_t"] == 0.0
    assert summary["differences"] == [1.0]


@pytest.mark.slow
def test_time_to_skill_trains_each_seed_and_writes_reference_curves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny_recipe = [
        *("train.total_timesteps=512", "train.eval_freq=256", "train.n_eval_episodes=1"),
        "train.target_score=-21",
        *as_overrides(TINY_ALGO["pqn"]),  # 8 games of 32 steps, not the recipe's 128 games
        "env.max_frames_per_episode=400",
    ]
    out = tmp_path / "bench.json"
    monkeypatch.chdir(tmp_path)  # a relative --root, as a learner types it: a folder not yet made
    args = ["--only", "", "--time-to-skill", "pong_pqn", "--seeds", "3", "--root", "tts"]
    args += ["--reference-dir", str(tmp_path / "ref"), "--save-reference", "--json", str(out)]
    main([*args, "--overrides", *tiny_recipe])
    (seed,) = json.loads(out.read_text())["time_to_skill"]["seeds"]
    # Pong's lowest score is -21, so the first evaluation reaches this target and stops the run.
    assert seed["reached"] and seed["steps_to_target"] == 256 and seed["minutes_to_target"] >= 0
    assert seed["trained_steps"] < 512
    assert "seed 3: -21 reached after" in capsys.readouterr().out
    saved = json.loads((tmp_path / "ref" / "pong_pqn.json").read_text())
    assert saved["recipe"] == "pong_pqn" and saved["seeds"][0]["seed"] == 3
    assert (
        tmp_path / "tts" / "runs" / "reference" / "pong_pqn" / "seed3" / "summary.json"
    ).exists()


def test_time_to_skill_refuses_an_unknown_recipe(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--only", "", "--time-to-skill", "pong_sac"])
    assert exit_info.value.code != 0
    assert "recipe=pong_sac is not an option" in capsys.readouterr().err


def test_time_to_skill_refuses_a_recipe_without_a_target(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(
            ["--only", "", "--time-to-skill", "pong_pqn", "--overrides", "train.target_score=null"]
        )
    assert exit_info.value.code != 0
    assert "train.target_score=null leaves no score to time" in capsys.readouterr().err


def test_time_to_skill_refuses_a_seed_whose_run_was_cut_short(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = tmp_path / "runs" / "reference" / "pong_pqn" / "seed0"
    run_dir.mkdir(parents=True)
    (run_dir / "summary.json").write_text(json.dumps({"status": "running", "timesteps": 756744}))
    with pytest.raises(SystemExit) as exit_info:
        main(["--only", "", "--time-to-skill", "pong_pqn", "--seeds", "0", "--root", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "holds a run that did not complete (running)" in capsys.readouterr().err
    assert json.loads((run_dir / "summary.json").read_text())["timesteps"] == 756744  # kept
