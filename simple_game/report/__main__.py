"""``python -m simple_game.report``: regenerate experiments.md in the current directory.

``--root DIR`` regenerates the page of another checkout. How fast it is, on 1,000 synthetic
run directories: ``python -m simple_game.bench --only "" --report-runs 1000``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from simple_game.errors import UserError, exit_for
from simple_game.report import write_report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m simple_game.report",
        description="Regenerate the generated block of experiments.md from runs/ and multirun/.",
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=Path.cwd(),
        help="directory holding experiments.md, runs/ and multirun/ (default: here)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not args.root.is_dir():
        what = "no such directory" if not args.root.exists() else "not a directory"
        exit_for(UserError(f"--root {args.root}: {what}", key="--root"))
    try:
        page = write_report(args.root)
    except ValueError as err:  # experiments.md's markers are damaged: nothing was written
        exit_for(UserError(str(err)))
    print(f"Wrote {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
