"""Refresh experiments.md when a training run or a sweep ends (a Hydra callback).

Registered in conf/config.yaml under ``hydra.callbacks``. Hydra calls ``on_job_end`` after
every run (single runs and each job of a sweep, completed or failed) and
``on_multirun_end`` once a whole sweep is done, when a sweeper may have written its own
results. The refresh is a courtesy, so it never fails a run: any problem becomes a warning.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from simple_game.report import PAGE, write_report

log = logging.getLogger(__name__)


class RefreshReport(Callback):
    """Regenerate ``experiments.md`` in the launch directory, if it has one."""

    def on_job_end(self, config: DictConfig, job_return: Any, **kwargs: Any) -> None:
        refresh(config)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        refresh(config)


def refresh(config: DictConfig) -> None:
    """Rewrite experiments.md where the user launched from, when ``report=true``.

    Only an existing page is refreshed: a run launched from some other directory (a
    scratch folder, a test's temp dir) must not leave an experiments.md behind there.
    ``python -m simple_game.report`` creates the page the first time.
    """
    if not OmegaConf.select(config, "report", default=True):
        return
    root = Path(OmegaConf.select(config, "hydra.runtime.cwd", default=".") or ".")
    if not (root / PAGE).exists():
        return
    try:
        write_report(root)
    except Exception as err:  # noqa: BLE001 - the run is done; the page can be fixed later
        log.warning("experiments.md was not refreshed (%s); run python -m simple_game.report", err)
