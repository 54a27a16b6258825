"""``python -m simple_game resume=<run dir>``: continue a stopped run where it stopped.

The saved ``.hydra/overrides.yaml`` already describes the run, so the user types nothing but
the directory (plus, optionally, a bigger ``train.total_timesteps``). This module checks the
directory and turns the command line into the original overrides, aimed at the same
directory, before Hydra starts.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import yaml
from omegaconf import DictConfig, ListConfig, OmegaConf

from simple_game.config.groups import GROUPS
from simple_game.errors import UserError
from simple_game.records.checkpoints import check_checkpoint, list_checkpoints
from simple_game.records.paths import RunPaths
from simple_game.records.summary import read_summary

RESUME_KEY = "resume"


def _key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


def check_resume_dir(value: str, overrides: Sequence[str]) -> Path:
    """The run directory to resume, after checking it can be resumed with ``overrides``."""
    run_dir = Path(value).expanduser().resolve()
    if not run_dir.is_dir():
        what = "a file, not a run directory" if run_dir.exists() else "no such directory"
        raise UserError(f"resume={value}: {what}", key="resume")
    paths = RunPaths(run_dir)
    if not paths.hydra_config.exists() or not paths.hydra_overrides.exists():
        raise UserError(
            f"resume={value}: not a run directory (no .hydra/config.yaml and "
            ".hydra/overrides.yaml in it)",
            key="resume",
        )
    checkpoints = list_checkpoints(run_dir)
    if not checkpoints:
        raise UserError(
            f"resume={value}: no checkpoint to resume from in checkpoints/ "
            "(checkpoints are written every train.checkpoint_freq steps and on Ctrl-C)"
        )
    check_checkpoint(
        checkpoints[-1][1], f"resume={value}", "delete it to resume from the one before"
    )
    saved = _load(paths.hydra_config, value)
    _load(paths.hydra_overrides, value)
    for override in overrides:
        key, _, option = override.partition("=")
        if key in GROUPS and option != saved[key].name:
            raise UserError(
                f"resume={value}: that run trained {key}={saved[key].name}, not {key}={option}; "
                f"drop {key}= or start a new run"
            )
    summary = read_summary(run_dir) or {}
    asked = next(  # the last value wins, as in Hydra
        (o.split("=", 1)[1] for o in reversed(overrides) if _key(o) == "train.total_timesteps"),
        saved.train.total_timesteps,
    )
    try:
        budget = int(float(asked))
    except ValueError:
        raise UserError(
            f"train.total_timesteps={asked}: must be a whole number >= 1",
            key="train.total_timesteps",
        ) from None
    done, planned = checkpoints[-1][0], int(saved.train.total_timesteps)
    if done < budget < planned:  # allowed (a shorter run), but its schedules change: say so
        print(
            f"note: that run planned {planned:,} steps; its schedules (learning rate, "
            f"exploration) are fractions of the budget, so from here on they follow "
            f"train.total_timesteps={budget:,}",
            file=sys.stderr,
        )
    if budget <= done:
        finished = summary.get("status") == "completed"
        raise UserError(
            f"resume={value}: that run "
            + (f"already completed {done:,} steps" if finished else f"stopped at {done:,} steps")
            + f"; train.total_timesteps={asked} would leave nothing to train: pass a larger "
            "train.total_timesteps",
            key="train.total_timesteps",
        )
    return run_dir


def _load(path: Path, value: str) -> DictConfig | ListConfig:
    try:
        return OmegaConf.load(path)
    except (OSError, yaml.YAMLError) as err:
        raise UserError(
            f"resume={value}: {path.parent.name}/{path.name} is damaged ({type(err).__name__}); "
            "it cannot be resumed",
            key="resume",
        ) from err


def resume_overrides(overrides: Sequence[str]) -> list[str] | None:
    """Overrides that continue the run named by ``resume=<dir>``, or None without one.

    The saved overrides come first, the user's new ones win over them, and Hydra is pointed
    at the same directory so every file of the run continues in place.
    """
    value = next((o.split("=", 1)[1] for o in overrides if _key(o) == RESUME_KEY), None)
    if value is None:
        return None
    others = [o for o in overrides if _key(o) != RESUME_KEY]
    run_dir = check_resume_dir(value, others)
    saved = [str(o) for o in OmegaConf.load(RunPaths(run_dir).hydra_overrides)]
    mine = {_key(o) for o in others}
    kept = [o for o in saved if _key(o) not in mine and _key(o) != RESUME_KEY]
    return [*kept, *others, f"{RESUME_KEY}={run_dir}", f"hydra.run.dir={run_dir}"]


def expand_resume(argv: Sequence[str]) -> list[str]:
    """``argv`` with a ``resume=<dir>`` override expanded (flags such as --cfg are kept)."""
    from hydra._internal.utils import get_args_parser

    overrides = get_args_parser().parse_known_args(list(argv))[0].overrides
    expanded = resume_overrides(overrides)
    if expanded is None:
        return list(argv)
    return [*(a for a in argv if a not in overrides), *expanded]
