"""The Optuna sweeper's search-space syntax and its bookkeeping, without training anything.

The syntax is Hydra's override grammar; these tests pin down what each form becomes in
Optuna, above all that ``range`` excludes its end (the published plugin includes it).
"""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from hydra import compose, initialize_config_dir
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.utils import JobReturn, JobStatus
from omegaconf import OmegaConf
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.trial import TrialState

from hydra_plugins.simple_game_sweeper._impl import outcome, resolve_storage
from hydra_plugins.simple_game_sweeper._params import as_override, flatten, search_space
from simple_game.config.groups import CONF_DIR, group_options
from simple_game.config.preflight import check_overrides


def space_of(sweep: str) -> object:
    """The distribution of ``x=<sweep>``."""
    space, fixed = search_space({}, [f"x={sweep}"])
    assert fixed == []
    return space["x"]


@pytest.mark.parametrize(
    ("sweep", "expected"),
    [
        ("choice(32, 64, 128)", CategoricalDistribution([32, 64, 128])),
        ("choice(tiny, small)", CategoricalDistribution(["tiny", "small"])),
        ("interval(0.3, 2.0)", FloatDistribution(0.3, 2.0)),
        ("interval(0, 1)", FloatDistribution(0.0, 1.0)),  # Hydra reads interval bounds as floats
        ("int(interval(5, 200))", IntDistribution(5, 200)),
        ("tag(log, interval(1e-5, 0.002))", FloatDistribution(1e-5, 0.002, log=True)),
        ("tag(log, int(interval(1, 1024)))", IntDistribution(1, 1024, log=True)),
        # range: the END IS EXCLUDED, as in Python and in a Hydra grid sweep.
        ("range(0, 3)", IntDistribution(0, 2)),
        ("range(8, 64, 8)", IntDistribution(8, 56, step=8)),
        ("range(5, 0, -2)", IntDistribution(1, 5, step=2)),
        ("range(0.1, 0.5, 0.1)", FloatDistribution(0.1, 0.4, step=0.1)),
    ],
)
def test_sweep_syntax_becomes_the_optuna_distribution(sweep: str, expected: object) -> None:
    assert space_of(sweep) == expected


def test_a_glob_over_a_group_samples_its_matching_options() -> None:
    space, _ = search_space({}, ["env=glob(b*)"])
    assert space["env"] == CategoricalDistribution(["beam_rider", "breakout"])


def test_range_end_is_never_sampled() -> None:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    values = {study.ask({"x": space_of("range(0, 3)")}).params["x"] for _ in range(60)}
    assert values == {0, 1, 2}


def test_log_interval_samples_across_decades() -> None:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    values = [
        study.ask({"x": space_of("tag(log, interval(1e-8, 0.1))")}).params["x"] for _ in range(200)
    ]
    assert all(1e-8 <= v <= 0.1 for v in values)
    # Uniform on a log scale: about half the samples lie below the geometric middle, 1e-4.5.
    assert 0.35 < sum(v < 10**-4.5 for v in values) / len(values) < 0.65


def test_shuffled_range_is_unordered_choices() -> None:
    dist = space_of("shuffle(range(3))")
    assert isinstance(dist, CategoricalDistribution)
    assert sorted(dist.choices) == [0, 1, 2]


def test_fixed_values_and_command_line_precedence() -> None:
    packaged = {
        "algo": {"gamma": "choice(0.9, 0.99)", "n_epochs": "choice(1, 5)"},
        "env": {"n_envs": 4},
    }
    space, fixed = search_space(
        packaged,
        [
            "algo.gamma=0.99",  # pins a packaged range
            "algo.n_epochs=choice(4, 10)",  # narrows another
            "env=pong",  # a plain override every trial gets
            "search_space@hydra.sweeper.params=none",  # shaped the sweeper: not passed to runs
        ],
    )
    assert space == {"algo.n_epochs": CategoricalDistribution([4, 10])}
    assert sorted(fixed) == ["algo.gamma=0.99", "env.n_envs=4", "env=pong"]


def test_nested_and_dotted_keys_flatten_alike() -> None:
    assert flatten({"algo": {"learning_rate": {"start": "x"}}}) == {"algo.learning_rate.start": "x"}
    assert flatten({"algo.gamma": "y"}) == {"algo.gamma": "y"}


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.001, "x=0.001"), (1e-05, "x=1e-05"), (64, "x=64"), (True, "x=true"), ("tiny", "x=tiny")],
)
def test_sampled_values_become_overrides_hydra_reads_back(value: object, text: str) -> None:
    override = as_override("x", value)
    assert override.lower() == text
    assert OverridesParser.create().parse_override(override).value() == value


def test_storage_urls_survive_override_quoting() -> None:
    url = "postgresql+psycopg2://tuner:pw@db.example.org:5432/optuna?sslmode=require"
    parsed = OverridesParser.create().parse_override(as_override("tuning.storage", url))
    assert parsed.value() == url


def test_relative_sqlite_storage_becomes_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert (
        resolve_storage("sqlite:///multirun/optuna.db")
        == f"sqlite:///{tmp_path}/multirun/optuna.db"
    )
    assert (tmp_path / "multirun").is_dir()
    assert resolve_storage("postgresql://h/db") == "postgresql://h/db"


def _job(status: JobStatus, value: object) -> JobReturn:
    ret = JobReturn()
    ret.status = status
    ret._return_value = value
    return ret


def test_outcome_of_a_trial_from_its_jobs() -> None:
    ok = [_job(JobStatus.COMPLETED, 1.0), _job(JobStatus.COMPLETED, 3.0)]
    assert outcome(ok) == (TrialState.COMPLETE, 2.0, None)  # seeds_per_trial: the mean
    pruned = [_job(JobStatus.COMPLETED, 1.0), _job(JobStatus.FAILED, optuna.TrialPruned("x"))]
    assert outcome(pruned) == (TrialState.PRUNED, None, None)
    crashed = [*pruned, _job(JobStatus.FAILED, ValueError("bad combo"))]
    assert outcome(crashed) == (TrialState.FAIL, None, "ValueError: bad combo")
    assert outcome([_job(JobStatus.COMPLETED, float("nan"))])[0] == TrialState.FAIL


# --- The packaged configs --------------------------------------------------------------------


@pytest.mark.parametrize("algo", ["ppo", "a2c", "dqn", "qrdqn", "pqn"])
def test_packaged_search_space_follows_the_algo_and_names_real_keys(algo: str) -> None:
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(
            "config", overrides=["hydra/sweeper=optuna", f"algo={algo}"], return_hydra_config=True
        )
    params = OmegaConf.to_container(cfg.hydra.sweeper.params)
    assert isinstance(params, dict)
    space, fixed = search_space(params, [])
    assert len(space) >= 5 and fixed == []
    for key in space:
        assert OmegaConf.select(cfg, key) is not None, f"{key} is not a key of algo={algo}"


def test_every_algo_has_a_search_space() -> None:
    assert set(group_options("algo")) <= set(group_options("search_space"))


def test_search_space_can_be_swapped_or_dropped_and_preflight_accepts_it() -> None:
    for choice, expect_keys in (("none", False), ("a2c", True)):
        override = f"search_space@hydra.sweeper.params={choice}"
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            cfg = compose(
                "config", overrides=["hydra/sweeper=optuna", override], return_hydra_config=True
            )
        assert bool(cfg.hydra.sweeper.params) is expect_keys
        check_overrides([override, "algo=ppo"], multirun=True)


def test_slurm_preset_composes_with_gpus_cpus_and_time() -> None:
    # Only composition can be checked here: there is no SLURM cluster (no sbatch) on this machine.
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(
            "config",
            overrides=[
                "hydra/sweeper=optuna",
                "hydra/launcher=slurm_gpu",
                "hydra.launcher.partition=gpu",
            ],
            return_hydra_config=True,
        )
    launcher = cfg.hydra.launcher
    assert launcher._target_.endswith("SlurmLauncher")
    assert (launcher.gpus_per_node, launcher.cpus_per_task, launcher.timeout_min) == (1, 8, 720)
    assert launcher.partition == "gpu"


@pytest.mark.parametrize(
    ("pruner", "sampler", "classes"),
    [
        ("median", "tpe", ("MedianPruner", "TPESampler")),
        ("hyperband", "random", ("HyperbandPruner", "RandomSampler")),
        ("none", "tpe", ("NopPruner", "TPESampler")),
    ],
)
def test_pruner_and_sampler_options_build_optuna_objects(
    pruner: str, sampler: str, classes: tuple[str, str]
) -> None:
    from hydra.utils import instantiate

    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(
            "config",
            overrides=[
                "hydra/sweeper=optuna",
                f"hydra/sweeper/pruner={pruner}",
                f"hydra/sweeper/sampler={sampler}",
            ],
            return_hydra_config=True,
        )
    built = instantiate(cfg.hydra.sweeper.pruner), instantiate(cfg.hydra.sweeper.sampler)
    assert tuple(type(b).__name__ for b in built) == classes


def test_dashboard_hint_says_how_to_install_it_when_missing(monkeypatch) -> None:
    import importlib.util

    from hydra_plugins.simple_game_sweeper._impl import dashboard_hint

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)  # not installed
    hint = dashboard_hint("sqlite:///multirun/optuna.db")
    assert 'pip install -e ".[dashboard]"' in hint and "optuna-dashboard sqlite:///" in hint
