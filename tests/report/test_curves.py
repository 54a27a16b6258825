"""The per-game comparison plot and the overview: a colour and a telling name for each run, honest axes, fair ranking."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import matplotlib.pyplot as plt  # headless: matplotlib picks its Agg backend without a display
import pytest

from simple_game.records import reference
from simple_game.report import curves
from simple_game.report.runs import CurvePoint, Run

BASE = Run(
    path="runs/ppo_pong/2026-01-01_00-00-00", game="pong", env_id="PongNoFrameskip-v4",
    experiment="ppo_pong", algo="ppo", policy="simple_nature_cnn", seed=0, status="completed",
    started="2026-01-01 00:00", timesteps=300_000, total_timesteps=300_000, wall_time_s=600.0,
    steps_per_s=500.0, final=None, best=None, overrides=("algo=ppo", "env=pong"), note="",
    problem="", curve=(CurvePoint(100_000, 3.0, -20.5), CurvePoint(300_000, 10.0, -19.0)),
    recipe=None, sweep=None, learning_curve=None, video=None,
)  # fmt: skip


def run(**changes: object) -> Run:
    return dataclasses.replace(BASE, **changes)


def test_legend_names_what_sets_each_run_apart() -> None:
    runs = [
        run(overrides=("algo=ppo", "algo.ent_coef=0.02", "algo.gamma=0.98")),
        run(overrides=("algo=ppo", "algo.ent_coef=0.01", "algo.gamma=0.98"), seed=1),
        run(algo="dqn", overrides=("algo=dqn", "algo.gamma=0.98")),
    ]
    assert curves.labels(runs) == [
        "ppo, ent_coef=0.02, seed 0",
        "ppo, ent_coef=0.01, seed 1",
        "dqn, seed 0",
    ]


def test_runs_of_different_budgets_are_named_by_their_budget() -> None:
    short = run(total_timesteps=512, timesteps=512, path="runs/ppo_pong/1")
    assert curves.labels([short, run()]) == ["ppo, 512 steps", "ppo, 300,000 steps"]


def test_runs_that_would_read_the_same_get_their_start_time() -> None:
    first, second = curves.labels([run(), run(started="2026-01-02 00:00", path="runs/x/2")])
    assert first != second and "2026-01-02 00:00" in second


def test_each_set_up_gets_its_own_colour() -> None:
    runs = [run(overrides=("algo=ppo", f"algo.gamma=0.9{s}"), path=f"runs/ppo_pong/{s}")
            for s in range(6)]  # fmt: skip
    figure, ax = plt.subplots()
    curves._draw_each_run(ax, runs, curves.STEPS)
    colours = [line.get_color() for line in ax.get_lines()]
    plt.close(figure)
    assert len(set(colours)) == len(runs)


def test_seeds_of_one_set_up_share_a_colour_and_differ_by_style() -> None:
    runs = [run(seed=s, path=f"runs/ppo_pong/{s}") for s in range(3)]
    runs.append(run(algo="dqn", overrides=("algo=dqn",), path="runs/dqn_pong/0"))
    figure, ax = plt.subplots()
    curves._draw_each_run(ax, runs, curves.STEPS)
    lines = ax.get_lines()
    plt.close(figure)
    colours = [line.get_color() for line in lines]
    styles = {(line.get_linestyle(), line.get_marker()) for line in lines[:3]}
    assert len(set(colours[:3])) == 1 and colours[3] != colours[0]
    assert len(styles) == 3


def test_legend_of_recipe_runs_names_the_recipe_once_and_no_policy_it_implies() -> None:
    ppo = run(recipe="pong_ppo", overrides=("recipe=pong_ppo",))
    pqn = run(algo="pqn", policy="layernorm_nature_cnn", recipe="pong_pqn", seed=1,
              overrides=("recipe=pong_pqn",), path="runs/pqn_pong/1")  # fmt: skip
    assert curves.labels([ppo, pqn]) == [
        "ppo, recipe pong_ppo, seed 0",
        "pqn, recipe pong_pqn, seed 1",
    ]


def test_a_recipe_band_takes_the_colour_of_the_runs_that_follow_it() -> None:
    ppo = run(recipe="pong_ppo")
    pqn = run(algo="pqn", recipe="pong_pqn", path="runs/pqn_pong/0")
    colours = curves._band_colors([ppo, pqn], ["pong_a2c", "pong_ppo", "pong_pqn"])
    assert colours["pong_ppo"] != colours["pong_pqn"]
    assert colours["pong_a2c"] not in (colours["pong_ppo"], colours["pong_pqn"])


def test_plot_fits_the_data_and_names_a_human_level_far_above(tmp_path: Path) -> None:
    path = tmp_path / "pong-eval-curves.png"
    assert curves.write_game_plot("pong", [run()], path)
    figure, ax = plt.subplots()
    curves._draw_each_run(ax, [run()], curves.STEPS)
    curves._fit_and_mark_baselines([ax], curves.baseline("pong"))
    low, high = ax.get_ylim()
    texts = [line.get_label() for line in ax.get_lines()]
    plt.close(figure)
    assert high < 0  # Pong's human level (14.6) does not stretch the axis of a -20 curve
    assert any(t.startswith("human: 14.6 (above") for t in texts), texts
    assert low < -20.5


def test_a_recipe_band_is_drawn_on_both_panels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reference, "REFERENCE_DIR", tmp_path)
    (tmp_path / "pong_ppo.json").write_text(
        json.dumps(
            {
                "recipe": "pong_ppo",
                "seeds": [
                    {"seed": 0, "curve": [[1, 0.1, -21], [2, 0.2, -19]]},
                    {"seed": 1, "curve": [[1, 0.1, -20], [2, 0.3, -17]]},
                ],
            }
        )
    )
    figure, axes = plt.subplots(1, 2)
    for ax, column in zip(axes, (curves.STEPS, curves.MINUTES), strict=True):
        curves.draw_reference(ax, reference.load_reference("pong_ppo"), column)
        assert [c.get_label() for c in ax.collections][0].startswith("recipe pong_ppo")
    plt.close(figure)


def test_at_a_glance_does_not_rank_a_run_too_short_to_mean_anything() -> None:
    from simple_game.report.page import _best_run
    from simple_game.report.runs import Score

    lucky = run(path="runs/short", timesteps=512, final=Score(4.0, 0.0))
    real = run(path="runs/long", timesteps=50_000, final=Score(-19.0, 1.0))
    assert _best_run([lucky, real]) == real
