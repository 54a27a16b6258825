"""The per-game comparison plot: a colour and a telling name for each set-up, kept as runs are added; IQM bands; honest axes."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt  # headless: matplotlib picks its Agg backend without a display
import pytest
from matplotlib.artist import Artist
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_hex
from matplotlib.lines import Line2D

from simple_game.records import reference
from simple_game.report import curves
from simple_game.report.runs import CurvePoint, Run
from simple_game.report.statistics import iqm
from tests.report.factories import run


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
    curves._draw_each_run(ax, runs, curves.STEPS, curves._looks(runs))
    colours = [line.get_color() for line in ax.get_lines()]
    plt.close(figure)
    assert len(set(colours)) == len(runs)


def test_seeds_of_one_set_up_share_a_colour_and_differ_by_style() -> None:
    runs = [run(seed=s, path=f"runs/ppo_pong/{s}") for s in range(2)]
    runs.append(run(algo="dqn", overrides=("algo=dqn",), path="runs/dqn_pong/0"))
    figure, ax = plt.subplots()
    curves._draw_each_run(ax, runs, curves.STEPS, curves._looks(runs))
    lines = ax.get_lines()
    plt.close(figure)
    colours = [line.get_color() for line in lines]
    styles = {(line.get_linestyle(), line.get_marker()) for line in lines[:2]}
    assert colours[0] == colours[1] and colours[2] != colours[0]
    assert len(styles) == 2


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
    figure = curves.figure("pong", [run()])  # what write_game_plot drew
    ax = figure.axes[0]
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


def seeds(n: int, **changes: object) -> list[Run]:
    """``n`` seeds of one set-up, each curve a little higher than the last."""
    return [
        run(seed=s, path=f"runs/{changes.get('recipe', 'ppo_pong')}/seed{s}",
            curve=(CurvePoint(100_000, 3.0, -20.0 + s), CurvePoint(200_000, 6.0, -15.0 + 3 * s),
                   CurvePoint(300_000, 9.0, -10.0 + 5 * s)), **changes)
        for s in range(n)
    ]  # fmt: skip


def hexes(artist: Artist) -> str:
    """An artist's colour (a line's, or a shaded area's fill), as #rrggbb."""
    color = artist.get_color() if isinstance(artist, Line2D) else artist.get_facecolor()[0]
    return to_hex(color, keep_alpha=False)


def test_a_set_up_with_three_runs_is_drawn_as_its_iqm_over_a_confidence_band() -> None:
    runs = seeds(3) + [run(algo="dqn", overrides=("algo=dqn",), path="runs/dqn_pong/0")]
    ax = curves.figure("pong", runs).axes[0]
    (line,) = [x for x in ax.get_lines() if "IQM of 3 runs" in x.get_label()]
    assert list(line.get_xdata()) == [100_000, 200_000, 300_000]
    expected = [iqm([r.curve[i].mean for r in runs[:3]]) for i in range(3)]
    assert list(line.get_ydata()) == pytest.approx(expected)
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert [hexes(b) for b in bands] == [hexes(line)]
    labels = [x.get_label() for x in ax.get_lines() if not x.get_label().startswith("_")]
    assert not any("seed" in text and text.startswith("ppo") for text in labels)  # one entry
    assert any(text.startswith("dqn") for text in labels)


def test_with_fewer_than_three_runs_each_run_is_its_own_line() -> None:
    ax = curves.figure("pong", seeds(2)).axes[0]
    assert not [c for c in ax.collections if isinstance(c, PolyCollection)]
    labels = [x.get_label() for x in ax.get_lines() if not x.get_label().startswith("_")]
    assert labels[:2] == ["ppo, seed 0", "ppo, seed 1"]


def pong_lab() -> list[Run]:
    """Runs shaped like the committed Pong reference runs: 3 seeds of two recipes, 1 of three."""
    runs = seeds(3, recipe="pong_ppo", overrides=("recipe=pong_ppo",), started="2026-12-06 01:00")
    runs += seeds(3, algo="pqn", recipe="pong_pqn", overrides=("recipe=pong_pqn",),
                  started="2026-12-06 02:00")  # fmt: skip
    for hour, algo in enumerate(("a2c", "dqn", "qrdqn")):
        runs += seeds(1, algo=algo, recipe=f"pong_{algo}", overrides=(f"recipe=pong_{algo}",),
                      started=f"2026-12-06 0{3 + hour}:00")  # fmt: skip
    return runs


def drawn_colours(runs: list[Run]) -> dict[str, str]:
    """Per recipe: the colour its runs are drawn in, and (key "band <recipe>") its band's."""
    ax = curves.figure("pong", runs).axes[0]
    colours: dict[str, set[str]] = {}
    for artist in [*ax.get_lines(), *ax.collections]:
        label = artist.get_label()
        for recipe in ("pong_ppo", "pong_pqn", "pong_a2c", "pong_dqn", "pong_qrdqn"):
            if label.startswith(f"recipe {recipe}:"):
                colours.setdefault(f"band {recipe}", set()).add(hexes(artist))
            elif f"recipe {recipe}" in label:
                colours.setdefault(recipe, set()).add(hexes(artist))
    assert all(len(c) == 1 for c in colours.values()), colours  # one colour per set-up
    return {key: c.pop() for key, c in colours.items()}


@pytest.fixture
def measured_bands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reference files for the recipes with one measured run (the others have IQM bands)."""
    monkeypatch.setattr(reference, "REFERENCE_DIR", tmp_path)
    for algo in ("a2c", "dqn", "qrdqn"):
        (tmp_path / f"pong_{algo}.json").write_text(json.dumps(
            {"recipe": f"pong_{algo}", "seeds": [{"seed": 0, "curve": [[1, 0.1, -21], [2, 0.2, -19]]}]}
        ))  # fmt: skip


@pytest.mark.usefixtures("measured_bands")
@pytest.mark.parametrize("learners", [1, 8])  # 8: too many for a legend entry each, bundles
def test_set_up_colours_stay_when_runs_are_added_and_bands_match_lines(learners: int) -> None:
    before = drawn_colours(pong_lab())
    own = [run(path=f"runs/ppo_pong/2027-01-0{i + 1}", started=f"2027-01-0{i + 1} 10:00",
               overrides=("algo=ppo", f"algo.learning_rate.start={i + 1}e-4"))
           for i in range(learners)]  # fmt: skip
    after = drawn_colours(own + pong_lab())  # a learner's runs sort first (runs/ppo_pong/...)
    assert after == before
    for recipe in ("pong_a2c", "pong_dqn", "pong_qrdqn"):
        assert after[f"band {recipe}"] == after[recipe]
    assert "band pong_ppo" not in after  # its runs' own IQM band stands for it
    assert (
        len({after[r] for r in ("pong_ppo", "pong_pqn", "pong_a2c", "pong_dqn", "pong_qrdqn")}) == 5
    )
