"""``python -m simple_game resume=<run dir>``: continue a stopped run where it stopped.

The saved ``.hydra/overrides.yaml`` already describes the run, so the user types nothing but
the directory (plus, optionally, a bigger ``train.total_timesteps``). This module checks the
directory and turns the command line into the original overrides, aimed at the same
directory, before Hydra starts.

What a resume keeps and what it may change: the model continues from its checkpoint, and
SB3's ``load`` restores the hyperparameters saved with it (learning rate, clip range, gamma,
...). So everything that decides what is learned (``algo.*``, ``policy.*``, ``env.*``,
``seed``) stays as the run trained it: a new value would be written into the run's record
but never used, and :func:`check_resumed_config` refuses it. ``train.*`` (the budget, the
evaluations, checkpoints, a time limit or target), ``hardware.*``, ``note`` and ``report``
may change. A new budget also moves every schedule, which are fractions of it: a note says by
how much.
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
from simple_game.records.paths import RunPaths, not_a_run
from simple_game.records.run_summary import read_summary

RESUME_KEY = "resume"


def _key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


def check_resume_dir(value: str, overrides: Sequence[str]) -> Path:
    """The run directory to resume, after checking it can be resumed with ``overrides``."""
    run_dir = Path(value).expanduser().resolve()
    paths = RunPaths(run_dir)
    if not paths.hydra_config.exists() or not paths.hydra_overrides.exists():
        raise UserError(not_a_run("resume", value, run_dir), key="resume")
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
    summary = read_summary(run_dir)
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
    done = checkpoints[-1][0]
    if budget <= done:
        finished = summary is not None and summary.status == "completed"
        raise UserError(
            f"resume={value}: that run "
            + (f"already completed {done:,} steps" if finished else f"stopped at {done:,} steps")
            + f"; train.total_timesteps={asked} would leave nothing to train: pass a larger "
            "train.total_timesteps",
            key="train.total_timesteps",
        )
    return run_dir


def schedule_note(algo: DictConfig, done: int, planned: int, budget: int) -> str:
    """What a new budget does to the schedules at the step the run resumes from.

    SB3 computes each schedule from ``progress_remaining = 1 - steps / budget`` (the learning
    rate and PPO's clip range: a ``LinearSchedule``; DQN's epsilon: a linear decay over
    ``exploration_fraction`` of the budget), so a larger budget moves them back towards their
    start and a smaller one towards their end.
    """
    moves = []
    for key, word in (("learning_rate", "learning rate"), ("clip_range", "clip range")):
        then, now = (_schedule(algo.get(key), 1 - done / b) for b in (planned, budget))
        if then is not None and now is not None and then != now:
            moves.append(f"the {word} from {then:.3g} to {now:.3g}")
    if algo.get("exploration_fraction") is not None:
        then, now = (_epsilon(algo, 1 - done / b) for b in (planned, budget))
        if then != now:
            moves.append(f"epsilon from {then:.3g} to {now:.3g}")
    return (
        f"note: that run planned {planned:,} steps; its schedules are fractions of the budget, so "
        f"with train.total_timesteps={budget:,} they move at {done:,} steps: "
        + ("; ".join(moves) if moves else "none of them changes")
    )


def _schedule(node: object, progress_remaining: float) -> float | None:
    """A schedule's value (a constant, or a config with ``_target_``), None if not numeric."""
    if isinstance(node, int | float):
        return float(node)
    if isinstance(node, DictConfig) and "_target_" in node:
        from hydra.utils import instantiate

        return float(instantiate(node)(progress_remaining))
    return None


def _epsilon(algo: DictConfig, progress_remaining: float) -> float:
    """SB3's ``get_linear_fn`` for DQN's exploration rate."""
    start = float(algo.get("exploration_initial_eps", 1.0))
    end, fraction = float(algo.exploration_final_eps), float(algo.exploration_fraction)
    progress = 1 - progress_remaining
    return end if progress > fraction else start + progress * (end - start) / fraction


# What decides what a run learns; the checkpoint keeps it (see the module docstring).
LEARNING_KEYS = ("algo", "policy", "env", "seed")


def check_resumed_config(cfg: DictConfig, typed: Sequence[str]) -> None:
    """Refuse a resume whose config would differ from the run's in what it learns with, then
    say how a new budget moves the schedules (:func:`schedule_note`).

    ``cfg`` is the composed config of the resume, ``typed`` the overrides the user typed. A
    difference the user did not type comes from conf/ files changed since the run.
    """
    run_dir = Path(str(cfg.resume))
    saved = OmegaConf.load(RunPaths(run_dir).hydra_config)
    for section in LEARNING_KEYS:
        for key, now, then in _differences(section, cfg.get(section), saved.get(section)):
            asked = any(key == _key(o) or key.startswith(_key(o) + ".") for o in typed)
            source = "" if asked else " (conf/ changed since that run)"
            raise UserError(
                f"resume={cfg.resume}: {key}={now}{source}, but that run trained with "
                f"{key}={then}; a resume continues with what it trained with (the checkpoint "
                "keeps it): drop the override, or start a new run to change it",
                key=key,
            )
    done, planned = list_checkpoints(run_dir)[-1][0], int(saved.train.total_timesteps)
    budget = int(cfg.train.total_timesteps)
    if budget != planned:  # allowed, but its schedules move: say so, with numbers
        print(schedule_note(saved.algo, done, planned, budget), file=sys.stderr)


def _differences(key: str, now: object, then: object) -> list[tuple[str, object, object]]:
    """(key, new value, saved value) of every leaf where two (resolved) configs differ."""
    now = OmegaConf.to_container(now, resolve=True) if isinstance(now, DictConfig) else now
    then = OmegaConf.to_container(then, resolve=True) if isinstance(then, DictConfig) else then
    if isinstance(now, dict) and isinstance(then, dict):
        return [
            diff
            for k in sorted({*now, *then}, key=str)
            for diff in _differences(f"{key}.{k}", now.get(k), then.get(k))
        ]
    return [] if now == then else [(key, now, then)]


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
