"""A crashing job in a -m sweep: recorded, the other jobs run, the exit code and a count say so."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import read_summary, run_cli, tiny


def test_a_failed_job_is_counted_and_the_rest_still_run(workdir: Path) -> None:
    # The command-line check sees only the first value (64); job 1's batch is larger than
    # the 8 x 32 rollout, so that job fails when it starts.
    result = run_cli(
        ["-m", *tiny("ppo"), "algo.batch_size=64,100000,128", "hydra.sweep.dir=multirun/s"], workdir
    )
    assert result.returncode == 1
    sweep = workdir / "multirun" / "s"
    statuses = [read_summary(sweep / job)["status"] for job in ("0", "1", "2")]
    assert statuses == ["completed", "failed", "completed"]
    assert "algo.batch_size=100000" in read_summary(sweep / "1")["error"]
    assert "Sweep multirun/s: 3 jobs: 2 completed, 1 failed (job 1" in result.stderr
