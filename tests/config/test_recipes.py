"""Recipes compose into runnable configs of the algorithm and game they were measured with."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from simple_game.config.groups import CONF_DIR, group_options
from simple_game.config.preflight import check_overrides, recipe_choices
from simple_game.errors import UserError
from simple_game.records.reference import load_reference
from tests.conftest import REPO, read_summary, run_argv


@pytest.mark.parametrize("recipe", group_options("recipe"))
def test_every_recipe_composes_and_names_itself(recipe: str) -> None:
    cfg = check_overrides([f"recipe={recipe}"])
    choices = recipe_choices(recipe)
    assert cfg.recipe == recipe
    assert cfg.algo.name == choices["algo"] and cfg.env.name == choices["env"]
    # The naming the docs use: <game>_<algo>, then what sets a variant apart (_gpu, _fast).
    base = f"{choices['env']}_{choices['algo']}"
    assert recipe == base or recipe.startswith(base + "_")
    # A recipe is fitted to a budget and says when to stop.
    assert cfg.train.target_score is not None and cfg.train.max_minutes is not None
    assert cfg.train.total_timesteps < 10_000_000


@pytest.mark.parametrize(
    ("base", "recipe"), [("pong_pqn", "breakout_pqn"), ("pong_ppo", "breakout_ppo")]
)
def test_a_recipe_built_on_another_changes_only_its_game_and_target(base: str, recipe: str) -> None:
    # The Breakout recipes take every setting from their Pong ones (one place to tune them).
    configs = [OmegaConf.to_container(check_overrides([f"recipe={r}"])) for r in (base, recipe)]
    assert recipe_choices(recipe) == {**recipe_choices(base), "env": "breakout"}
    assert configs[1]["env"]["name"] == "breakout" and configs[1]["train"]["target_score"] == 31
    for cfg in configs:
        del cfg["env"], cfg["recipe"], cfg["train"]["target_score"]
    assert configs[0] == configs[1]


@pytest.mark.parametrize(
    ("base", "recipe", "changed"),
    [
        ("pong_pqn", "pong_pqn_gpu", {"n_envs": 256}),
        ("pong_ppo", "pong_ppo_gpu", {"n_envs": 64, "batch_size": 1024}),
    ],
)
def test_a_gpu_recipe_is_its_cpu_recipe_with_more_games_on_cuda(
    base: str, recipe: str, changed: dict[str, int]
) -> None:
    cpu, gpu = (
        OmegaConf.to_container(check_overrides([f"recipe={r}"]), resolve=True)
        for r in (base, recipe)
    )
    assert gpu["hardware"]["device"] == "cuda" and cpu["hardware"]["device"] == "auto"
    assert {k: gpu["algo"][k] for k in changed} == changed
    assert gpu["env"]["n_envs"] == changed["n_envs"]  # env.n_envs follows algo.n_envs
    # The same schedules, budget and evaluations: its curves compare with the CPU recipe's.
    for cfg in (cpu, gpu):
        for key in ("recipe", "hardware", "env"):
            del cfg[key]
        del cfg["train"]["max_minutes"]
        for key in changed:
            del cfg["algo"][key]
    assert cpu == gpu
    # Its hardware is not what it is fitted to: the CPU test below runs it with hardware=cpu.
    assert check_overrides([f"recipe={recipe}", "hardware=cpu"]).hardware.device == "cpu"


@pytest.mark.slow
def test_the_prepared_gpu_check_trains_both_gpu_recipes_on_a_cpu(tmp_path: Path) -> None:
    # scripts/gpu/check.sh is what a lent GPU machine will run first; SMOKE=1 runs its steps
    # on the CPU: each GPU recipe with all its games and its minibatch size, one rollout
    # (8 steps of each of PQN's 256 games, 32 of PPO's 64: 2,048 steps), one cut evaluation
    # game, through the bench's time-to-skill as there. (The test above pins the counts.)
    out = tmp_path / "out"
    smoke = {"SMOKE": "1", "OUT": str(out), "WORK": str(tmp_path / "work")}
    result = run_argv(["bash", str(REPO / "scripts/gpu/check.sh")], tmp_path, extra_env=smoke)
    assert result.returncode == 0, result.stdout[-3000:]
    log = (out / "check.log").read_text()
    assert "cores: " in log and "torch " in log
    assert sorted(p.name for p in out.iterdir()) == [  # what travels back from a GPU machine
        "check.log",
        "pong_ppo_gpu.json",
        "pong_pqn_gpu.json",
        "runs.tgz",
    ]
    with tarfile.open(out / "runs.tgz") as packed:
        packed.extractall(tmp_path / "landed", filter="data")
    for recipe in ("pong_pqn_gpu", "pong_ppo_gpu"):
        games = check_overrides([f"recipe={recipe}"]).algo.n_envs
        assert f"with {games} parallel games" in log
        (seed,) = json.loads((out / f"{recipe}.json").read_text())["time_to_skill"]["seeds"]
        assert (seed["seed"], seed["trained_steps"]) == (0, 2048)  # one rollout of all its games
        landed = tmp_path / "landed/runs/reference" / recipe / "seed0"
        summary = read_summary(landed)
        assert summary["status"] == "completed" and summary["recipe"] == recipe
        assert (landed / "evaluations.jsonl").exists() and not (landed / "checkpoints").exists()


def test_pqn_recipe_trains_pqn_with_its_layernorm_network() -> None:
    cfg = check_overrides(["recipe=pong_pqn"])
    assert cfg.policy.name == "layernorm_nature_cnn"
    assert cfg.train.eval_envs == cfg.train.n_eval_episodes == 8


def test_a_recipe_keeps_the_other_keys_overridable_but_not_its_algorithm() -> None:
    cfg = check_overrides(["recipe=pong_ppo", "seed=3", "train.max_minutes=120"])
    assert cfg.seed == 3 and cfg.train.max_minutes == 120
    assert check_overrides(["recipe=pong_ppo", "algo=ppo"]).algo.name == "ppo"
    with pytest.raises(UserError, match="env=breakout: recipe=pong_ppo is fitted to"):
        check_overrides(["recipe=pong_ppo", "env=breakout"])


@pytest.mark.parametrize("recipe", group_options("recipe"))
def test_every_recipe_has_a_row_in_the_recipes_page(recipe: str) -> None:
    page = (CONF_DIR.parent / "docs" / "recipes.md").read_text()
    assert f"| `{recipe}` |" in page, f"docs/recipes.md does not describe recipe={recipe}"


@pytest.mark.parametrize("recipe", group_options("recipe"))
def test_a_recipe_says_measured_only_when_its_reference_curves_exist(recipe: str) -> None:
    # The header comment is what a learner reads first; it must not promise curves that the
    # learning curve and the doctor cannot draw (or hide ones they do).
    header = (CONF_DIR / "recipe" / f"{recipe}.yaml").read_text().split("defaults:")[0]
    measured = load_reference(recipe) is not None
    assert ("Not measured yet" not in header) == measured, header
    assert ("Measured" in header) == measured, header
