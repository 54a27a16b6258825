"""``python -m simple_game.bench``: this project's training speed next to stock Stable-Baselines3.

Three measurements (:mod:`.speed`): env-only steps/s (random actions, no network), PPO
training steps/s and DQN training steps/s (``model.learn`` after a warm-up), of the two
set-ups of :mod:`.setups`. ``--parity-steps N`` adds a learning check (:mod:`.parity`):
stock and project PPO trained for N steps on several seeds, scored on full games.
Results go to the console and a JSON file. See docs/performance.md for measured numbers.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from simple_game.bench.parity import learning_parity
from simple_game.bench.speed import machine, print_table, run_bench, summarise


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m simple_game.bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--game", default="breakout", help="env config option (conf/env/)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats per set-up")
    parser.add_argument(
        "--only", default="env,ppo,dqn", help="comma list of env, ppo, dqn ('' for none)"
    )
    parser.add_argument("--env-steps", type=int, default=1000, help="vector steps for env-only")
    parser.add_argument("--ppo-steps", type=int, default=2048, help="timed PPO agent steps")
    parser.add_argument("--dqn-steps", type=int, default=1000, help="timed DQN agent steps")
    parser.add_argument(
        "--threads", type=int, default=0, help="torch CPU threads for all set-ups (0: default)"
    )
    parser.add_argument(
        "--ablations", action="store_true", help="also time each lever switched off"
    )
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
    parser.add_argument(
        "--json", type=Path, default=Path("bench.json"), help="where to write results"
    )
    args = parser.parse_args(argv)
    args.only = [k.strip() for k in args.only.split(",") if k.strip()]
    unknown = set(args.only) - {"env", "ppo", "dqn"}
    if unknown:
        parser.error(
            f"--only: unknown measurement(s) {', '.join(sorted(unknown))}; use env, ppo, dqn"
        )
    if args.parity_jobs < 1:
        parser.error(f"--parity-jobs={args.parity_jobs}: use 1 or more")
    if args.parity_seeds < 1:
        parser.error(f"--parity-seeds={args.parity_seeds}: use 1 or more")
    if args.parity_first_seed < 0:
        parser.error(f"--parity-first-seed={args.parity_first_seed}: use 0 or more")
    if args.parity_overrides:
        from simple_game.config.preflight import check_overrides
        from simple_game.errors import UserError

        try:  # here, not in a worker process minutes later
            check_overrides(["algo=ppo", f"env={args.game}", *args.parity_overrides])
        except UserError as err:
            parser.error(f"--parity-overrides: {err}")
    return args


def settings_of(args: argparse.Namespace) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.threads > 0:
        from simple_game.model.device import configure_threads

        configure_threads(args.threads)
    info = machine()
    print(f"Machine: {info}", flush=True)
    report: dict[str, Any] = {"machine": info, "settings": settings_of(args)}
    if args.only:
        report["results"] = summarise(run_bench(args))
        print_table(report["results"])
    if args.parity_steps > 0:
        report["learning_parity"] = parity = learning_parity(args)
        print(
            f"\nLearning parity after {args.parity_steps:,} PPO steps, seeds {parity['seeds']}: "
            f"stock {parity['stock SB3']['mean']:.1f} +- {parity['stock SB3']['std']:.1f}, "
            f"project {parity['project']['mean']:.1f} +- {parity['project']['std']:.1f}, "
            f"Welch t = {parity['welch_t']:.2f}, paired t = {parity['paired_t']:.2f} "
            f"(per-seed differences {parity['differences']})"
        )
    args.json.write_text(json.dumps(report, indent=2))
    print(f"\nWrote {args.json}")


if __name__ == "__main__":
    main()
