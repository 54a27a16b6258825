"""What ``python -m simple_game.evaluate`` plays: a run's checkpoint (or random play) on the
game set-up the run trained with."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from omegaconf import DictConfig, OmegaConf

from simple_game.errors import UserError, first_line
from simple_game.records.checkpoints import check_checkpoint, list_checkpoints
from simple_game.records.paths import RunPaths

if TYPE_CHECKING:
    from stable_baselines3.common.vec_env import VecEnv

    from simple_game.config.schema import EnvConf

# Model files of a run that checkpoint=best / final name.
NAMED_CHECKPOINTS = {"best": "best_model", "final": "final_model"}
# Keys that runs saved before they existed do not have, with the behaviour those runs had.
LEGACY_DEFAULTS = {"env.backend": "sb3"}


@dataclass
class Target:
    """What to evaluate: a game config, where results go, and the agent's checkpoint."""

    cfg: DictConfig  # the run's config, or for a random agent without a run just {env, seed}
    run_dir: Path | None
    out_dir: Path  # evaluations/ and videos/ go here
    label: str  # names the result files: best, final, ppo_500000_steps, random
    checkpoint: Path | None  # None for the random agent


def load_run_config(run_dir: Path, option: str = "run") -> DictConfig:
    """The run's saved config, checked to still name a known game and an importable algo;
    ``option``: the key the user named the run with (``run``, or the montage's ``compare``).

    Only what evaluation needs is checked (training options are not): a run trained before
    a new training option was added must stay evaluable. :func:`build_env` checks the rest.
    """
    from hydra.errors import HydraException
    from hydra.utils import get_class
    from omegaconf.errors import OmegaConfBaseException

    key = f"{option}={run_dir}"
    if not run_dir.is_dir():
        raise UserError(f"{key}: no such directory", key=option)
    path = RunPaths(run_dir).hydra_config
    if not path.is_file():
        raise UserError(
            f"{key}: no .hydra/config.yaml, so not a training run directory", key=option
        )
    from simple_game.envs.games import check_game_id  # imports gymnasium: after quick checks

    try:
        cfg = OmegaConf.load(path)
        assert isinstance(cfg, DictConfig)
        OmegaConf.resolve(cfg)
        for legacy_key, value in LEGACY_DEFAULTS.items():
            if OmegaConf.select(cfg, legacy_key) is None:
                OmegaConf.update(cfg, legacy_key, value, force_add=True)
        get_class(cfg.algo._target_)
        check_game_id(run_env(cfg).id)
    except (
        AssertionError,
        HydraException,
        OmegaConfBaseException,
        ImportError,
        ValueError,
    ) as err:
        raise UserError(
            f"{key}: its .hydra/config.yaml no longer composes: {first_line(err)}", key=option
        ) from err
    return cfg


def run_env(cfg: DictConfig) -> EnvConf:
    """The run's (or random play's) ``env`` node as the typed :class:`EnvConf` the game
    builders take. A saved node that no longer fits the schema raises OmegaConf's error,
    which :func:`load_run_config` turns into a one-line message naming the run."""
    from simple_game.config.schema import EnvConf

    env = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(EnvConf), cfg.env))
    assert isinstance(env, EnvConf)
    return env


def resolve_checkpoint(run_dir: Path, algo: str, checkpoint: str) -> tuple[str, Path]:
    """``best`` / ``final`` / ``latest`` / a step count -> (label, model file)."""
    key = f"checkpoint={checkpoint}"
    saved = list_checkpoints(run_dir)
    paths = RunPaths(run_dir)
    if checkpoint in NAMED_CHECKPOINTS:
        path = getattr(paths, NAMED_CHECKPOINTS[checkpoint])
        label = checkpoint
    elif checkpoint == "latest":
        if not saved:
            raise UserError(f"{key}: run={run_dir} has no checkpoints/*_steps.zip yet")
        path = saved[-1][1]
        label = path.stem
    elif checkpoint.isdigit():
        path = paths.checkpoint(algo, int(checkpoint))
        label = path.stem
    else:
        raise UserError(f"{key}: use best, final, latest or a step count such as 500000")
    if not path.is_file():
        steps = ", ".join(str(s) for s, _ in saved) or "none"
        raise UserError(
            f"{key}: run={run_dir} has no {path.relative_to(run_dir)} (saved step counts: {steps})"
        )
    return label, path


def build_env(target: Target, env: EnvConf, seed: int, render_mode: str | None) -> VecEnv:
    """The one-game, full-game evaluation env; a config it cannot build is bad input."""
    from omegaconf.errors import OmegaConfBaseException

    from simple_game.envs.build import make_env

    try:
        return make_env(env, n_envs=1, seed=seed, evaluation=True, render_mode=render_mode)
    except (OmegaConfBaseException, ValueError, TypeError) as err:
        if target.run_dir is None:
            raise
        raise UserError(
            f"run={target.run_dir}: its .hydra/config.yaml no longer composes: {first_line(err)}",
            key="run",
        ) from err


def find_target(cfg: DictConfig) -> Target:
    """Turn the command line into a :class:`Target`, or raise :class:`UserError`."""
    if cfg.run is not None:
        run_dir = Path(str(cfg.run))
        run_cfg = load_run_config(run_dir)
        if cfg.agent == "random":
            return Target(run_cfg, run_dir, run_dir, "random", None)
        label, path = resolve_checkpoint(run_dir, run_cfg.algo.name, str(cfg.checkpoint))
        check_checkpoint(
            path,
            f"checkpoint={cfg.checkpoint}",
            "evaluate another one (checkpoint=final, latest or a step count in checkpoints/)",
        )
        return Target(run_cfg, run_dir, run_dir, label, path)
    if cfg.agent == "random" and cfg.get("env") is not None:
        from simple_game.envs.games import check_game_id

        check_game_id(cfg.env.id)
        # Without a run, results go to runs/random_<game>/ (not a training run: no summary.json).
        # One game at a time: env.n_envs follows an algo this command has none of.
        env = OmegaConf.to_container(cfg.env)
        assert isinstance(env, dict)
        game_cfg = OmegaConf.create({"env": {**env, "n_envs": 1}, "seed": 0})
        return Target(game_cfg, None, Path("runs") / f"random_{cfg.env.name}", "random", None)
    raise UserError(
        "run=: give a run directory (run=runs/<experiment>/<timestamp>), "
        "or a game for the random baseline (agent=random env=pong)"
    )
