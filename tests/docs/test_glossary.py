"""The glossary has an entry for every metric and term a learner meets.

* every metric SB3 can log for the algorithms, and every term the playground shows;
* the shared tiny real run of each algorithm: every metric name they log (TensorBoard event
  files, progress.csv, console tables) has a glossary entry, and the console's pointers to
  the guide name pages that exist.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import console_of
from tests.docs.pages import ALGOS, REPO, missing_entries

# ---------------------------------------------------------------------------------------

# Every metric SB3 2.9 / sb3-contrib can log for PPO, A2C, DQN and QR-DQN on Atari
# (grep logger.record in their sources), including the few that need settings this project
# does not use (gSDE's train/std, success rates, clip_range_vf): a learner may still meet them.
KNOWN_METRICS = {
    "rollout/ep_rew_mean",
    "rollout/ep_len_mean",
    "rollout/exploration_rate",
    "rollout/success_rate",
    "time/fps",
    "time/iterations",
    "time/episodes",
    "time/time_elapsed",
    "time/total_timesteps",
    "train/learning_rate",
    "train/n_updates",
    "train/loss",
    "train/approx_kl",
    "train/clip_fraction",
    "train/clip_range",
    "train/clip_range_vf",
    "train/entropy_loss",
    "train/explained_variance",
    "train/policy_gradient_loss",
    "train/policy_loss",
    "train/value_loss",
    "train/q_values",
    "train/target_mean",
    "train/std",
    "eval/mean_reward",
    "eval/mean_ep_length",
    "eval/success_rate",
}

# Terms the playground shows or configures; each must be a glossary heading (in backticks,
# lower case), so a reader can link to it and a test can find it.
KNOWN_TERMS = {
    "return",
    "discount",
    "value",
    "q-value",
    "advantage",
    "gae",
    "policy gradient",
    "clipping",
    "entropy bonus",
    "replay buffer",
    "target network",
    "epsilon-greedy",
    "quantile",
    "layernorm",
    "q(lambda)",
    "frame skip",
    "frame stack",
    "sticky actions",
    "life loss",
    "reward clipping",
    "vectorised envs",
    "on-policy",
    "off-policy",
    "rollout",
    "epoch",
    "minibatch",
    "learning rate",
    "gradient clipping",
    "seed",
    "t statistic",
    "prediction bound",
    "action gap",
    "saliency map",
    "action mix",
    "iqm",
    "bootstrap confidence interval",
    "probability of improvement",
    "episode",
    "timestep",
}


def test_glossary_has_every_known_metric() -> None:
    missing = missing_entries(KNOWN_METRICS)
    assert not missing, f"docs/glossary.md lacks entries (### `name`) for: {', '.join(missing)}"


def test_every_metric_entry_states_a_healthy_range() -> None:
    text = (REPO / "docs" / "glossary.md").read_text()
    metrics = text.split("## Part 2: metrics", 1)[1].split("\n## ", 1)[0]
    for entry in metrics.split("\n### ")[1:]:
        name = entry.splitlines()[0]
        assert "Healthy on Atari:" in entry, f"glossary entry {name} gives no healthy range"


def test_glossary_has_every_known_term() -> None:
    missing = missing_entries(KNOWN_TERMS)
    assert not missing, f"docs/glossary.md lacks entries (### `term`) for: {', '.join(missing)}"


SB3_TABLE_ROW = re.compile(r"^\|\s*([\w/ ]+?)\s*\|\s*([^|]*)\|\s*$")


def logged_metrics(run_dir: Path, console: str) -> set[str]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    names: set[str] = set()
    for events in run_dir.rglob("events.out.tfevents.*"):
        acc = EventAccumulator(str(events))
        acc.Reload()
        for kind, tags in acc.Tags().items():
            if isinstance(tags, list) and kind in ("scalars", "tensors", "histograms"):
                names.update(tags)
    for progress in run_dir.rglob("progress.csv"):
        with progress.open() as f:
            names.update(next(csv.reader(f), []))
    section = ""
    for line in console.splitlines():  # SB3's console table, if verbose output is on
        row = SB3_TABLE_ROW.match(line.strip())
        if not row:
            continue
        key, value = row.group(1).strip(), row.group(2).strip()
        if key.endswith("/") and not value:
            section = key
        elif section and key:
            names.add(section + key)
    return {n for n in names if n}


# Each algorithm's shared tiny run (tests/conftest.py's algo_run), on the game the quick
# loop's run-directory test trains it on (tests/training/test_run.py).
GLOSSARY_RUNS = {"ppo": "breakout", "a2c": "breakout", "dqn": "pong", "qrdqn": "space_invaders",
                 "pqn": "pong"}  # fmt: skip


@pytest.mark.parametrize("algo", ALGOS)
def test_logged_metrics_are_in_glossary(algo: str, algo_run: Callable[[str, str], Path]) -> None:
    run_dir = algo_run(algo, GLOSSARY_RUNS[algo])
    console = console_of(run_dir)
    names = logged_metrics(run_dir, console)
    assert any(n.startswith("train/") for n in names), sorted(names)
    assert "rollout/ep_rew_mean" in names or algo == "a2c", sorted(names)
    if algo in ("dqn", "qrdqn", "pqn"):  # Q-learners: their predicted Q-values, to spot divergence
        assert "train/q_values" in names, sorted(names)
    missing = missing_entries(names)
    assert not missing, f"{algo} logs metrics without a glossary entry: {', '.join(missing)}"
    # The console's pointers to the guide name files that exist.
    for page in re.findall(r"docs/[\w./-]+\.md", console):
        assert (REPO / page).is_file(), f"console points to missing {page}"
