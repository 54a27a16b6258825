"""Is this run healthy? Checks of a run's own files, each finding with its evidence.

``python -m simple_game.doctor run=<dir>`` prints every finding; the end of every run prints
the ones that are not healthy, and each evaluation during training warns about new ones.
Each check reads only the run's small files (its saved config, summary.json,
evaluations.jsonl, progress.csv) and says, in plain words: what it saw (the metric, the step,
the value), what that usually means, which key to turn, and where the guide explains it
(docs/troubleshooting.md). A check that does not apply to the run (an actor-critic metric in
a DQN run, a run too short to judge) says nothing.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simple_game.records.evaluations import read_evaluations
from simple_game.records.paths import STEP_COLUMN, RunPaths
from simple_game.records.reference import band, load_reference
from simple_game.records.scores import baseline
from simple_game.records.summary import read_summary

GUIDE = "docs/troubleshooting.md"
# Healthy PPO updates on Atari stay below these (docs/glossary.md: approx_kl, clip_fraction).
PPO_UPDATE_LIMITS = {"train/approx_kl": 0.05, "train/clip_fraction": 0.3}
# Below this budget no method beats random play on Atari, so the score is not judged.
SHORTEST_JUDGED = 100_000
OK, WARNING, PROBLEM = "ok", "warning", "problem"


@dataclass(frozen=True)
class Finding:
    """One thing the doctor saw: how bad, what, the evidence, the likely cause, what to do."""

    level: str  # ok, warning or problem
    title: str
    evidence: str  # metric, step and value
    cause: str = ""
    fix: str = ""
    anchor: str = ""  # section of docs/troubleshooting.md

    def lines(self) -> list[str]:
        text = [f"{self.level:8s} {self.title}: {self.evidence}"]
        if self.cause:
            text.append(f"         likely cause: {self.cause}")
        if self.fix:
            text.append(f"         try: {self.fix}")
        if self.anchor:
            text.append(f"         guide: {GUIDE}#{self.anchor}")
        return text


@dataclass
class RunFacts:
    """What the checks read about a run, loaded once."""

    run_dir: Path
    config: Any  # the saved OmegaConf config (DictConfig)
    summary: dict[str, Any]
    evaluations: list[dict[str, Any]]
    progress: dict[str, list[tuple[int, float]]] = field(default_factory=dict)

    @property
    def algo(self) -> str:
        return str(self.config.algo.name)

    @property
    def budget(self) -> int:
        return int(self.config.train.total_timesteps)

    @property
    def steps(self) -> int:
        return int(self.summary.get("timesteps") or 0)

    def metric(self, tag: str) -> list[tuple[int, float]]:
        return self.progress.get(tag, [])


def read_progress(path: Path) -> dict[str, list[tuple[int, float]]]:
    """progress.csv as ``{tag: [(step, value), ...]}``, empty cells skipped."""
    if not path.exists():
        return {}
    series: dict[str, list[tuple[int, float]]] = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            step = row.get(STEP_COLUMN)
            if not step:
                continue
            for tag, value in row.items():
                if tag != STEP_COLUMN and value not in (None, ""):
                    try:
                        series.setdefault(tag, []).append((int(float(step)), float(value)))
                    except ValueError:
                        continue
    return series


def load_facts(run_dir: Path) -> RunFacts:
    """The run's files; raises OSError / ValueError if it is not a readable run directory."""
    from omegaconf import OmegaConf

    paths = RunPaths(run_dir)
    config = OmegaConf.load(paths.hydra_config)
    return RunFacts(
        run_dir,
        config,
        read_summary(run_dir) or {},
        read_evaluations(run_dir),
        read_progress(paths.progress_csv),
    )


def examine(facts: RunFacts) -> list[Finding]:
    """Every finding of every check that applies to the run."""
    return [finding for check in CHECKS for finding in check(facts)]


# --- the checks ------------------------------------------------------------------------------


def check_budget(facts: RunFacts) -> Iterator[Finding]:
    """Random play that eats the budget (DQN's learning_starts, a long exploration phase), and
    schedules fitted to another budget."""
    algo, budget = facts.config.algo, facts.budget
    starts = algo.get("learning_starts")
    if starts is not None and starts >= 0.25 * budget:
        level = PROBLEM if starts >= budget else WARNING
        yield Finding(
            level,
            "learning starts late",
            f"algo.learning_starts={starts:,} of train.total_timesteps={budget:,}",
            "before learning_starts the agent plays at random and learns nothing",
            f"algo.learning_starts={max(budget // 20, 1000)} (5% of the budget)",
            "nothing-is-learned",
        )
    fraction = algo.get("exploration_fraction")
    if fraction is not None and fraction > 0.5:
        yield Finding(
            WARNING,
            "exploration takes most of the budget",
            f"algo.exploration_fraction={fraction:g}: epsilon reaches its final value only "
            f"after {fraction * budget:,.0f} steps",
            "mostly random actions for most of the run",
            "algo.exploration_fraction=0.1",
            "nothing-is-learned",
        )
    explored = (fraction or 0) * budget  # where epsilon reaches its final value
    if starts and fraction is not None and explored < starts:
        yield Finding(
            WARNING,
            "exploration ends before learning starts",
            f"epsilon reaches algo.exploration_final_eps after {explored:,.0f} steps, "
            f"algo.learning_starts={starts:,}",
            "play jumps from uniform random to nearly greedy with an untrained network: the "
            "schedule was fitted to another budget",
            f"algo.exploration_fraction={min(1.0, 2 * starts / budget):.2g} (twice "
            "learning_starts), or a smaller algo.learning_starts",
            "nothing-is-learned",
        )
    recipe = facts.summary.get("recipe")
    if recipe and any(
        o.startswith("train.total_timesteps=") for o in facts.summary.get("overrides") or []
    ):
        yield Finding(
            WARNING,
            "a recipe on another budget",
            f"recipe={recipe} with a train.total_timesteps override",
            "every schedule is a fraction of the budget: the recipe's were fitted to its own",
            "drop the train.total_timesteps override (the recipe stops at its target anyway)",
            "below-the-reference",
        )


def check_scores(facts: RunFacts) -> Iterator[Finding]:
    """Evaluations against random play, late in training."""
    ref = baseline(str(facts.config.env.id))
    if not facts.evaluations or ref is None:
        return
    last = facts.evaluations[-1]
    evidence = (
        f"eval/mean_reward {last['mean_reward']:.1f} at {last['timesteps']:,} steps; "
        f"random play scores {ref.random:g}"
    )
    if facts.budget < SHORTEST_JUDGED:
        yield Finding(
            OK,
            "too short to judge the score",
            evidence + "; Atari agents need hundreds of thousands of steps to beat random play",
        )
    elif facts.steps < 0.5 * facts.budget:
        share = facts.steps / facts.budget
        yield Finding(OK, f"early days ({share:.0%} of the budget)", evidence + "; judged later")
    elif last["mean_reward"] <= ref.random:
        yield Finding(
            PROBLEM,
            "no better than random play",
            evidence,
            "nothing useful was learned: see the checks above, or a budget too small for the game",
            "check the budget against the schedules, then the learning rate",
            "nothing-is-learned",
        )
    else:
        yield Finding(OK, "evaluations beat random play", evidence)


def check_reference(facts: RunFacts) -> Iterator[Finding]:
    """A recipe run against the recipe's measured runs at the same step count."""
    reference = load_reference(facts.summary.get("recipe"))
    if reference is None or not facts.evaluations:
        return
    last = facts.evaluations[-1]
    x, low, _ = band(reference)
    if not (x[0] <= last["timesteps"] <= x[-1]):
        return
    floor = float(low[abs(x - last["timesteps"]).argmin()])
    evidence = (
        f"eval/mean_reward {last['mean_reward']:.1f} at {last['timesteps']:,} steps; the "
        f"recipe's measured runs were at {floor:.1f} or more there"
    )
    if last["mean_reward"] < floor - 3:
        yield Finding(
            WARNING,
            f"below recipe {reference['recipe']}'s reference runs",
            evidence,
            "a changed setting, an unlucky seed, or a slower machine (compare steps, not minutes)",
            "compare your overrides with the recipe's; try another seed",
            "below-the-reference",
        )
    else:
        yield Finding(OK, f"on track for recipe {reference['recipe']}", evidence)


def check_entropy(facts: RunFacts) -> Iterator[Finding]:
    """Actor-critics: the policy's entropy collapsing in the first half of the budget.

    A fresh policy is near uniform, so its first logged entropy is about log(number of
    actions): the yardstick for "collapsed" (under a tenth of it).
    """
    series = facts.metric("train/entropy_loss")
    if not series:
        return
    start = -series[0][1]
    early = [(s, -v) for s, v in series if s <= 0.5 * facts.budget]
    low = next(((s, h) for s, h in early if h < 0.1 * start), None)
    if low is not None:
        yield Finding(
            WARNING,
            "policy entropy collapsed early",
            f"train/entropy_loss {-low[1]:.3f} at {low[0]:,} steps: entropy {low[1]:.3f} nats, "
            f"against {start:.2f} at the start (near uniform)",
            "the policy became nearly deterministic before it learned much: it stopped exploring",
            "a larger algo.ent_coef (e.g. 0.02), or a smaller learning rate",
            "entropy-collapses",
        )


def check_ppo_updates(facts: RunFacts) -> Iterator[Finding]:
    """PPO: how far each update moves the policy (approx_kl, clip_fraction)."""
    kl, clipped = facts.metric("train/approx_kl"), facts.metric("train/clip_fraction")
    for series, tag in ((kl, "train/approx_kl"), (clipped, "train/clip_fraction")):
        limit = PPO_UPDATE_LIMITS[tag]
        recent = series[-10:]
        if recent and _median([v for _, v in recent]) > limit:
            step, value = recent[-1]
            yield Finding(
                WARNING,
                "PPO updates move the policy too far",
                f"{tag} median {_median([v for _, v in recent]):.3f} over the last "
                f"{len(recent)} updates (up to {step:,} steps; healthy below {limit})",
                "the learning rate or the clip range is too large for this game",
                "a smaller algo.learning_rate.start, or fewer algo.n_epochs",
                "updates-too-large",
            )


def check_value_function(facts: RunFacts) -> Iterator[Finding]:
    """Actor-critics: a value function that explains nothing (explained variance < 0)."""
    series = facts.metric("train/explained_variance")
    late = [v for s, v in series if s >= 0.2 * facts.budget]
    if len(late) >= 5 and max(late[-5:]) < 0:
        yield Finding(
            WARNING,
            "the value function predicts worse than a constant",
            f"train/explained_variance below 0 in the last 5 updates (last {late[-1]:.2f})",
            "the critic is not learning the returns, so advantages are noise",
            "a smaller learning rate, or more algo.vf_coef",
            "value-function-explains-nothing",
        )


def check_divergence(facts: RunFacts) -> Iterator[Finding]:
    """Losses and Q-values that grow without bound."""
    gamma = float(facts.config.algo.get("gamma", 0.99))
    ceiling = 1 / (1 - gamma)  # discounted sum of clipped rewards of 1 at every step
    q_values = facts.metric("train/q_values")
    if q_values and abs(q_values[-1][1]) <= ceiling:
        step, value = q_values[-1]
        yield Finding(
            OK,
            "Q-values in range",
            f"train/q_values {value:.2f} at {step:,} steps (limit {ceiling:.0f})",
        )
    elif q_values:
        step, value = q_values[-1]
        yield Finding(
            PROBLEM,
            "Q-values beyond anything clipped rewards can sum to",
            f"train/q_values {value:.1f} at {step:,} steps; the most a clipped reward per step "
            f"can sum to with gamma={gamma:g} is {ceiling:.0f}",
            "the Q-learning targets chase the network's own growing guesses (divergence)",
            "a smaller learning rate; for DQN a larger algo.target_update_interval",
            "values-diverge",
        )
    # A ratio of losses means something only for an error that cannot go below 0: the value
    # head's (PPO, A2C) or a Q-learner's TD loss. PPO's train/loss is a signed sum (policy loss
    # plus value loss minus the entropy bonus) whose terms cancel to about 0 early on, so any
    # later value reads as a climb: breakout_ppo seed 2 was warned at its target score.
    tag = "train/value_loss" if facts.metric("train/value_loss") else "train/loss"
    series = facts.metric(tag)
    if len(series) >= 20:
        middle = _median([v for _, v in series[: len(series) // 2]])
        late = _median([v for _, v in series[-5:]])
        if middle > 0 and late > 100 * middle:
            yield Finding(
                WARNING,
                "the loss is growing by orders of magnitude",
                f"{tag} median {late:.3g} recently against {middle:.3g} in the first half",
                "values diverging, or rewards not clipped",
                "a smaller learning rate; check env.wrapper.clip_reward=true",
                "values-diverge",
            )


def check_speed(facts: RunFacts) -> Iterator[Finding]:
    """Training speed: shared with other trainings, or far below the recipe's reference runs."""
    shared = int(facts.summary.get("max_concurrent_trainings") or 1)
    speed = float(facts.summary.get("steps_per_s") or 0)
    if shared > 1:
        yield Finding(
            WARNING,
            "trained alongside other trainings",
            f"up to {shared} trainings shared this machine's cores; {speed:,.0f} steps/s",
            "its steps/s and minutes are not this machine's speed for one run alone",
            "time runs one at a time (docs/performance.md)",
            "slow-training",
        )
    reference = load_reference(facts.summary.get("recipe"))
    if reference is None or speed <= 0:
        return
    last = [s["curve"][-1] for s in reference["seeds"] if s["curve"]]
    expected = _median([steps / (60 * minutes) for steps, minutes, _ in last if minutes > 0])
    if speed < 0.5 * expected:
        yield Finding(
            WARNING,
            "much slower than the recipe's reference runs",
            f"{speed:,.0f} steps/s against {expected:,.0f} measured on {reference['machine']}",
            "another program using the CPU, a slower machine, or fewer cores",
            "close other work; compare with python -m simple_game.bench",
            "slow-training",
        )


CHECKS: list[Callable[[RunFacts], Iterator[Finding]]] = [
    check_budget,
    check_scores,
    check_reference,
    check_entropy,
    check_ppo_updates,
    check_value_function,
    check_divergence,
    check_speed,
]


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
