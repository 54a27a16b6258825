"""``python -m simple_game.bench``: the stock-vs-project table a user quotes, from real runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simple_game.bench import main


@pytest.mark.slow
def test_a_tiny_bench_times_both_pipelines_and_writes_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # SB3 makes its default log folder (here: this path) for any model without a logger.
    sb3_default_logs = tmp_path / "sb3_default_logs"
    monkeypatch.setenv("SB3_LOGDIR", str(sb3_default_logs))
    out = tmp_path / "bench.json"
    main(
        [
            *("--repeats", "1", "--env-steps", "20", "--ppo-steps", "256", "--dqn-steps", "20"),
            *("--json", str(out)),
        ]
    )

    report = json.loads(out.read_text())
    assert report["machine"]["cores"] >= 1
    results = report["results"]
    assert set(results) == {"env", "ppo", "dqn"}
    for kind, rows in results.items():
        assert set(rows) == {"stock SB3", "project"}, kind
        assert rows["stock SB3"]["ratio_to_stock"] == 1.0
        for row in rows.values():
            (rate,) = row["wall_steps_per_s"]
            assert rate > 0 and row["median"] == rate
        assert rows["project"]["ratio_to_stock"] == pytest.approx(
            rows["project"]["median"] / rows["stock SB3"]["median"], abs=0.005
        )
    printed = capsys.readouterr().out
    assert "PPO training" in printed and "x stock" in printed
    # The bench trains its models without leaving SB3's empty log folders behind.
    assert not sb3_default_logs.exists()


def test_unknown_measurement_is_refused_with_the_allowed_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--only", "ppo,sac"])
    assert exit_info.value.code != 0
    assert "--only: unknown measurement(s) sac; use env, ppo, dqn" in capsys.readouterr().err
