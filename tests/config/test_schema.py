"""Every algorithm's YAML is checked against its schema when the config composes, and a
composed run becomes typed objects (RunConf, PPOConf, EnvConf, ...) in one step."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.errors import HydraException
from omegaconf import OmegaConf

from simple_game.config.groups import CONF_DIR
from simple_game.config.schema import (
    ALGO_SCHEMAS,
    EnvConf,
    HardwareConf,
    PolicyConf,
    RunConf,
    to_run_conf,
)
from tests.conftest import compose_config


@pytest.mark.parametrize("algo", sorted(ALGO_SCHEMAS))
def test_each_algo_yaml_has_exactly_its_schemas_keys(algo: str) -> None:
    cfg = compose_config(f"algo={algo}")
    schema = ALGO_SCHEMAS[algo]
    assert OmegaConf.get_type(cfg.algo) is schema
    written = set(OmegaConf.load(CONF_DIR / "algo" / f"{algo}.yaml")) - {"defaults"}
    fields = {f.name for f in dataclasses.fields(schema)}
    assert written <= fields  # nothing the schema does not know
    assert fields - written <= {"policy_kwargs"}  # and nothing left unset but the optional


def test_a_misspelt_key_in_an_algo_yaml_is_refused_when_the_config_composes(
    tmp_path: Path,
) -> None:
    conf = shutil.copytree(CONF_DIR, tmp_path / "conf")
    ppo = conf / "algo" / "ppo.yaml"
    ppo.write_text(ppo.read_text() + "n_epoch: 10  # a typo of n_epochs\n")
    with initialize_config_dir(str(conf), version_base="1.3"), pytest.raises(HydraException) as err:
        compose("config", overrides=["algo=ppo"])
    assert "n_epoch" in str(err.value)


@pytest.mark.parametrize("recipe", sorted(p.stem for p in (CONF_DIR / "recipe").glob("*.yaml")))
def test_a_composed_run_becomes_typed_objects_once(recipe: str) -> None:
    run = to_run_conf(compose_config(f"recipe={recipe}"))
    assert isinstance(run, RunConf)
    assert type(run.algo) is ALGO_SCHEMAS[run.algo.name]  # PPOConf, PQNConf, ...
    assert isinstance(run.env, EnvConf) and isinstance(run.env.wrapper.clip_reward, bool)
    assert isinstance(run.policy, PolicyConf) and isinstance(run.hardware, HardwareConf)
    assert isinstance(run.train.total_timesteps, int) and run.train.total_timesteps > 0
    # A schedule stays a plain dict for Hydra's instantiate to build with the model.
    schedule = run.algo.learning_rate
    assert not isinstance(schedule, dict) or schedule["_target_"].endswith("LinearSchedule")
