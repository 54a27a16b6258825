"""experiments.md, the lab notebook, regenerated from the run directories.

``python -m simple_game.report`` (and the end of every training run and sweep, see
:mod:`.callback`) rewrites the block between the ``BEGIN GENERATED`` / ``END GENERATED``
markers of ``experiments.md`` in the launch directory; everything outside the markers is
the user's own writing and is kept byte for byte. docs/report.md is the user's guide.

The pieces, in the order :func:`write_report` uses them:

- :mod:`.runs`: find run directories, read each into a :class:`~.runs.Run` row;
- :mod:`.sweeps` and :mod:`.studies`: group ``-m`` jobs into sweeps, read Optuna studies;
- :mod:`.curves`: one comparison plot per game under ``experiments/``;
- :mod:`.page`: the Markdown, and the splice into the existing page.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path

from simple_game.report.runs import Run, find_run_dirs, read_run, unreadable_run

log = logging.getLogger(__name__)

PAGE = "experiments.md"
PLOTS_DIR = "experiments"  # next to experiments.md; holds only generated *-eval-curves.png


def write_report(root: Path, now: datetime | None = None) -> Path:
    """Regenerate ``root/experiments.md`` from ``root/runs`` and ``root/multirun``.

    ``now`` decides which running runs count as stale (tests pass a fixed time). The page
    is written only when its bytes change, so a regeneration that found nothing new does
    not touch the file. Raises ValueError if the page's markers are damaged.
    """
    from simple_game.records.files import write_bytes_atomic
    from simple_game.report.curves import SUFFIX, plot_name, write_game_plot
    from simple_game.report.page import render, splice
    from simple_game.report.studies import read_study
    from simple_game.report.sweeps import read_sweep

    root = root.resolve()
    now = now or datetime.now(timezone.utc)
    run_dirs, sweep_dirs = find_run_dirs(root)
    runs = [_read_safely(root, d, now) for d in run_dirs]
    sweeps = [read_sweep(root, d, runs) for d in sweep_dirs]

    studies = {}  # sweeps that continued one study show it once, under the newest sweep
    for sweep_dir, sweep in zip(sweep_dirs, sweeps, strict=True):
        try:
            studies.update({s.name: s for s in read_study(root, sweep_dir, sweep)})
        except Exception as err:  # noqa: BLE001 - a broken study must not hide the runs
            log.warning("Could not read the Optuna study of %s: %s", sweep.path, err)

    plots_dir = root / PLOTS_DIR
    plots = {}
    for game in sorted({r.game for r in runs}):
        path = plots_dir / plot_name(game)
        try:
            if write_game_plot(game, [r for r in runs if r.game == game], path):
                plots[game] = path.relative_to(root).as_posix()
        except Exception as err:  # noqa: BLE001 - the tables matter more than a picture
            log.warning("Could not draw %s: %s", path, err)
    for old in plots_dir.glob(f"*{SUFFIX}"):  # games whose runs were all deleted
        if old.relative_to(root).as_posix() not in plots.values():
            old.unlink(missing_ok=True)  # parallel sweep jobs may race to it

    page = root / PAGE
    # surrogateescape: bytes that are not UTF-8 survive the round trip unchanged.
    existing = page.read_bytes().decode("utf-8", "surrogateescape") if page.exists() else None
    text = splice(existing, render(runs, sweeps, list(studies.values()), plots))
    if text != existing:
        write_bytes_atomic(page, text.encode("utf-8", "surrogateescape"))
    return page


def _read_safely(root: Path, run_dir: Path, now: datetime) -> Run:
    """A run's row; if reading it fails in a way nobody foresaw, a ``broken`` row instead."""
    try:
        return read_run(root, run_dir, now)
    except Exception as err:  # noqa: BLE001 - one odd directory must not stop the report
        return unreadable_run(root, run_dir, f"unreadable: {type(err).__name__}: {err}")
