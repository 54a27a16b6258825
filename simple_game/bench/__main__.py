"""``python -m simple_game.bench``: measured speed and learning, next to stock Stable-Baselines3.

Measurements, each in its own module:

* speed (:mod:`.speed`): env-only, PPO and DQN training steps/s of the project and of stock
  SB3 (:mod:`.setups`), interleaved repeat by repeat (``--only env,ppo,dqn``), and PQN's two
  shapes, its defaults against the ``pong_pqn`` recipe's (``--only pqn``);
* sharing (:mod:`.sharing`): two trainings started at once, each against its solo speed
  (``--only share``);
* learning parity (:mod:`.parity`): stock and project PPO trained for the same steps on
  several seeds, compared seed by seed (``--parity-steps N``);
* time to skill (:mod:`.time_to_skill`): minutes until a recipe's evaluations reach its target
  score, one seed after another (``--time-to-skill <recipe>``);
* the doctor (:mod:`.doctor_check`): runs broken on purpose, trained and judged
  (``--doctor-check``);
* the report (:mod:`.report_speed`): experiments.md regenerated over synthetic run
  directories (``--report-runs N``);
* watching the agent think (:mod:`.watching`): an explained game against a plain recorded one,
  a saliency map and a montage (``--watch-run <run>``);
* where an agent step's time goes (:mod:`.profile`): the games, acting, and learning's forward,
  backward and optimizer by kind of layer, for a recipe's shape (``--profile <recipe>,...``).

Results go to the console and a JSON file (the report's timing, ``--report-runs``, only to the
console). docs/performance.md has the measured numbers.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

SPEED_KINDS = {"env", "ppo", "dqn", "pqn"}
KINDS = SPEED_KINDS | {"share"}
# The least value each count option takes (0 turns the parity check and --threads off).
MINIMUMS = {
    "repeats": 1,
    "env_steps": 1,
    "ppo_steps": 1,
    "dqn_steps": 1,
    "pqn_steps": 1,
    "share_steps": 4,
    "threads": 0,
    "parity_steps": 0,
    "parity_seeds": 1,
    "parity_first_seed": 0,
    "parity_episodes": 1,
    "parity_jobs": 1,
    "profile_steps": 1,
}


def add_speed_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--game", default="breakout", help="env config option (conf/env/)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats per set-up")
    parser.add_argument(
        "--only",
        default="env,ppo,dqn",
        help="comma list of env, ppo, dqn, pqn, share ('' for none)",
    )
    parser.add_argument("--env-steps", type=int, default=1000, help="vector steps for env-only")
    parser.add_argument("--ppo-steps", type=int, default=2048, help="timed PPO agent steps")
    parser.add_argument("--dqn-steps", type=int, default=1000, help="timed DQN agent steps")
    parser.add_argument(
        "--pqn-steps", type=int, default=16384, help="timed PQN agent steps (--only pqn)"
    )
    parser.add_argument(
        "--share-steps", type=int, default=10240, help="PPO steps of each run in --only share"
    )
    parser.add_argument(
        "--threads", type=int, default=0, help="torch CPU threads for all set-ups (0: default)"
    )
    parser.add_argument(
        "--ablations",
        action="store_true",
        help="also time each lever switched off (PQN: in the pong_pqn recipe's shape)",
    )


def add_parity_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--parity-steps", type=int, default=0, help="PPO steps per seed for the learning check"
    )
    parser.add_argument("--parity-seeds", type=int, default=3, help="seeds for the check")
    parser.add_argument(
        "--parity-first-seed",
        type=int,
        default=0,
        help="first seed, so a later run can add seeds to an earlier one's",
    )
    parser.add_argument("--parity-episodes", type=int, default=5, help="eval games per model")
    parser.add_argument(
        "--parity-jobs", type=int, default=1, help="models trained at once (1 torch thread each)"
    )
    parser.add_argument(
        "--parity-overrides",
        nargs="*",
        default=[],
        help="config overrides for the project side, e.g. env.backend=sb3",
    )


def add_skill_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--time-to-skill", metavar="RECIPE", help="time a recipe (conf/recipe/) to its target"
    )
    parser.add_argument("--seeds", default="0,1,2", help="comma list of seeds to time")
    parser.add_argument(
        "--overrides", nargs="*", default=[], help="config overrides for every timed run"
    )
    parser.add_argument(
        "--root", type=Path, default=Path("."), help="where runs/reference/<recipe>/ goes"
    )
    parser.add_argument(
        "--save-reference",
        action="store_true",
        help="write the runs' curves as the recipe's reference curves",
    )
    parser.add_argument(
        "--report-runs",
        type=int,
        default=0,
        metavar="N",
        help="time the report on N synthetic run directories (e.g. 1000) in a temp dir",
    )
    parser.add_argument(
        "--watch-run",
        type=Path,
        default=None,
        help="a run whose best model times the explained video, saliency and the montage",
    )
    parser.add_argument(
        "--profile",
        default="",
        metavar="RECIPES",
        help="comma list of recipes to profile, e.g. pong_pqn,pong_ppo (on the CPU)",
    )
    parser.add_argument(
        "--profile-steps", type=int, default=12288, help="agent steps timed and profiled"
    )
    parser.add_argument(
        "--doctor-check",
        action="store_true",
        help="train runs broken on purpose and check the doctor flags each (runs/doctor_check/)",
    )
    parser.add_argument(
        "--reference-dir",
        type=Path,
        default=None,
        help="where --save-reference writes (default: the package's reference curves)",
    )


def check_args(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """One-line refusals for values the measurements cannot use, before anything runs."""
    from simple_game.config.preflight import check_overrides
    from simple_game.errors import UserError

    args.only = [k.strip() for k in args.only.split(",") if k.strip()]
    unknown = set(args.only) - KINDS
    if unknown:
        parser.error(
            f"--only: unknown {'measurement' if len(unknown) == 1 else 'measurements'} "
            f"{', '.join(sorted(unknown))}; "
            f"use {', '.join(sorted(KINDS))}"
        )
    for name, least in MINIMUMS.items():
        if getattr(args, name) < least:
            parser.error(f"--{name.replace('_', '-')}={getattr(args, name)}: use {least} or more")
    if not args.json.resolve().parent.is_dir():
        parser.error(f"--json={args.json}: its folder does not exist")
    try:  # here, not in a worker process minutes later
        check_overrides([f"env={args.game}"])
        if args.parity_overrides:
            check_overrides(["algo=ppo", f"env={args.game}", *args.parity_overrides])
        if args.time_to_skill:
            cfg = check_overrides([f"recipe={args.time_to_skill}", *args.overrides])
            if cfg.train.target_score is None:
                raise UserError(
                    f"--time-to-skill {args.time_to_skill}: train.target_score=null leaves no "
                    "score to time; give one, e.g. --overrides train.target_score=18",
                    key="train.target_score",
                )
            check_seeds(args)
        args.profile = [r.strip() for r in args.profile.split(",") if r.strip()]
        for recipe in args.profile:
            check_overrides([f"recipe={recipe}", "hardware=cpu", *args.overrides])
    except UserError as err:
        parser.error(str(err))


def check_seeds(args: argparse.Namespace) -> None:
    """``--seeds`` as whole numbers >= 0 whose reference run directories are free or done."""
    from simple_game.bench.time_to_skill import completed, run_dir_of
    from simple_game.errors import UserError
    from simple_game.records.run_summary import read_summary

    typed = args.seeds
    try:
        args.seeds = [int(s) for s in typed.split(",") if s.strip()]
    except ValueError:
        raise UserError(f"--seeds={typed}: use a comma list of whole numbers, e.g. 0,1,2") from None
    if not args.seeds or min(args.seeds) < 0:
        raise UserError(f"--seeds={typed}: use whole numbers >= 0, e.g. 0,1,2")
    for seed in args.seeds:
        run_dir = run_dir_of(args.root, args.time_to_skill, seed)
        if run_dir.exists() and not completed(run_dir):
            summary = read_summary(run_dir)
            status = summary.status if summary else None
            raise UserError(
                f"--seeds: {run_dir} holds a run that did not complete ({status or 'no summary'}):"
                " move it away, or time other seeds"
            )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m simple_game.bench", description=__doc__.split("\n")[0]
    )
    add_speed_args(parser)
    add_parity_args(parser)
    add_skill_args(parser)
    parser.add_argument(
        "--json", type=Path, default=Path("bench.json"), help="where to write results"
    )
    args = parser.parse_args(argv)
    check_args(args, parser)
    return args


def settings_of(args: argparse.Namespace) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}


def main(argv: list[str] | None = None) -> None:
    from simple_game.bench.speed import machine, print_table, run_bench, summarise

    args = parse_args(argv)
    if args.threads > 0:
        from simple_game.model.device import configure_threads

        configure_threads(args.threads)
    info = machine()
    print(f"Machine: {info}", flush=True)
    report: dict[str, Any] = {"machine": info, "settings": settings_of(args)}
    share = "share" in args.only
    args.only = [k for k in args.only if k in SPEED_KINDS]  # what run_bench times
    if args.only:
        report["results"] = summarise(run_bench(args))
        print_table(report["results"])
    if share:
        from simple_game.bench.sharing import measure_sharing

        print("\nTwo trainings at once:", flush=True)
        report["sharing"] = measure_sharing(args.game, args.share_steps, args.share_steps // 4)
    if args.parity_steps > 0:
        from simple_game.bench.parity import learning_parity, print_parity

        report["learning_parity"] = learning_parity(args)
        print_parity(report["learning_parity"], args.parity_steps)
    if args.time_to_skill:
        from simple_game.bench.time_to_skill import time_to_skill
        from simple_game.records.reference import REFERENCE_DIR

        save_to = (args.reference_dir or REFERENCE_DIR) if args.save_reference else None
        report["time_to_skill"] = time_to_skill(
            args.time_to_skill, args.seeds, args.root, args.overrides, save_to
        )
    if args.report_runs > 0:
        from simple_game.bench.report_speed import bench

        bench(args.report_runs)
    if args.watch_run is not None:
        from simple_game.bench.watching import watching_costs

        print("\nWatching the agent think, one game:", flush=True)
        report["watching"] = watching_costs(args.watch_run, args.repeats)
    if args.profile:
        from simple_game.bench.profile import print_profile, profile_recipe

        report["profile"] = []
        for recipe in args.profile:
            report["profile"].append(profile_recipe(recipe, args.profile_steps, args.overrides))
            print_profile(report["profile"][-1])
    if args.doctor_check:
        from simple_game.bench.doctor_check import doctor_check

        print("\nThe doctor on runs broken on purpose:", flush=True)
        report["doctor_check"] = doctor_check(args.root)
    args.json.write_text(json.dumps(report, indent=2))
    print(f"\nWrote {args.json}")


if __name__ == "__main__":
    main()
