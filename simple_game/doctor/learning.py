"""Checks of the training metrics in progress.csv: the policy's entropy, PPO's update sizes,
the critic, and values or losses that grow without bound.

Healthy ranges come from the committed reference runs (runs/reference/): the PPO and PQN runs
reached their targets, the A2C, DQN and QR-DQN runs did not (A2C's still learned, from -21 to
about -11). A limit here is set well outside what they show, so that a healthy run is not
warned and a broken one is.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterator

from simple_game.doctor.facts import RunFacts
from simple_game.doctor.findings import OK, PROBLEM, WARNING, Finding

# PPO updates: the median of the last 10 updates above these moves the policy too far. The
# eight PPO reference runs (Pong seeds 0-4, Breakout 0-2) stayed at or below 0.0055 (approx_kl)
# and 0.203 (clip_fraction) in every window of 10 updates; their single highest approx_kl was
# 0.025.
PPO_UPDATE_LIMITS = {"train/approx_kl": 0.02, "train/clip_fraction": 0.3}
RECENT = 10  # updates whose median is compared with a limit
EXPLAINS_NOTHING = 0.05  # explained variance this low in 5 updates in a row: a constant critic
# Entropy still at this share of a uniform policy's, this far into a run: nothing learned.
# (The PPO reference runs first fell below it within 88k steps, but pong_ppo seed 2 rose back
# above it until 349k and then won; pong_a2c seed 0 stayed above until 2.8M.)
STILL_UNIFORM = 0.97
# Judged from a quarter of the budget, but not before 100k steps nor after 1M: the recipes'
# budgets (5M steps and more) are judged from 1M. A PPO run of under 1.4M steps can be warned
# while it still learns, as pong_ppo seed 2 would have been at 100k-349k.
UNIFORM_JUDGED_FROM = (100_000, 1_000_000)


def check_entropy(facts: RunFacts) -> Iterator[Finding]:
    """Actor-critics: the policy's entropy collapsing early, or staying at its maximum.

    A uniform policy's entropy is log(number of actions) (SB3 logs ``train/entropy_loss`` =
    minus the mean entropy): the yardstick for "collapsed" (under a tenth of it) and for "still
    uniform" (at least 97% of it). The number of actions comes from the evaluations' action
    counts; a run from before them is measured against its first logged entropy, which a fresh
    policy starts near (a bold first update can already have moved it: a learning rate of 0.01
    logged 1.22 of Breakout's 1.39).
    """
    series = facts.metric("train/entropy_loss")
    if not series:
        return
    actions = next((len(e.action_names) for e in reversed(facts.evaluations) if e.action_names), 0)
    start = math.log(actions) if actions > 1 else -series[0][1]
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
    recent = -statistics.median(v for _, v in series[-RECENT:])
    step = series[-1][0]
    earliest, latest = UNIFORM_JUDGED_FROM
    judged_from = min(latest, max(earliest, 0.25 * facts.budget))
    if step >= judged_from and recent >= STILL_UNIFORM * start:
        yield Finding(
            WARNING,
            "the policy is still uniformly random",
            f"train/entropy_loss median {-recent:.3f} over the last {min(RECENT, len(series))} "
            f"updates at {step:,} steps: {recent / start:.0%} of a uniform policy's entropy "
            f"({start:.2f} nats)",
            "the policy prefers no action yet: rewards too rare for the advantages to say "
            "anything, an entropy bonus too large, or a learning rate too small",
            "compare with random play (the scores); a smaller algo.ent_coef; more steps "
            "(recipe pong_a2c seed 0 played at random for 2.4M steps, then learned)",
            "policy-stays-random",
        )


def check_ppo_updates(facts: RunFacts) -> Iterator[Finding]:
    """PPO: how far each update moves the policy (approx_kl, clip_fraction)."""
    for tag, limit in PPO_UPDATE_LIMITS.items():
        recent = facts.metric(tag)[-RECENT:]
        if not recent:
            continue
        median = statistics.median(v for _, v in recent)
        if median > limit:
            yield Finding(
                WARNING,
                "PPO updates move the policy too far",
                f"{tag} median {median:.3g} over the last {len(recent)} updates (up to "
                f"{recent[-1][0]:,} steps; the reference runs stayed below {limit})",
                "the learning rate or the clip range is too large for this game",
                "a smaller algo.learning_rate.start, or fewer algo.n_epochs",
                "updates-too-large",
            )


def check_value_function(facts: RunFacts) -> Iterator[Finding]:
    """Actor-critics: a value function that explains nothing: explained variance of about 0 or
    less in each of the last 5 updates, after the first fifth of the budget. A critic that
    outputs a constant scores exactly 0; the reference runs, past 100k steps, never had 5
    updates in a row all below 0.14 (the PPO runs: 0.36; pong_a2c seed 1: 0.147)."""
    series = facts.metric("train/explained_variance")
    late = [v for s, v in series if s >= 0.2 * facts.budget]
    if len(late) >= 5 and max(late[-5:]) < EXPLAINS_NOTHING:
        yield Finding(
            WARNING,
            "the value function predicts no better than a constant",
            f"train/explained_variance below {EXPLAINS_NOTHING} in the last 5 updates "
            f"(last {late[-1]:.2f}; 1 is perfect, 0 is what a constant guess scores)",
            "the critic is not learning the returns, so advantages are noise: a learning rate "
            "too large for it (its outputs saturate) or too small",
            "a smaller learning rate, or more algo.vf_coef",
            "value-function-explains-nothing",
        )


def check_divergence(facts: RunFacts) -> Iterator[Finding]:
    """Q-values beyond what clipped rewards can sum to, and losses that grow without bound."""
    yield from _q_ceiling(facts)
    # A ratio of losses means something only for an error that cannot go below 0: the value
    # head's (PPO, A2C) or a Q-learner's TD loss. PPO's train/loss is a signed sum (policy loss
    # plus value loss minus the entropy bonus) whose terms cancel to about 0 early on, so any
    # later value reads as a climb: breakout_ppo seed 2 was warned at its target score.
    tag = "train/value_loss" if facts.metric("train/value_loss") else "train/loss"
    series = facts.metric(tag)
    if len(series) >= 20:
        middle = statistics.median(v for _, v in series[: len(series) // 2])
        late = statistics.median(v for _, v in series[-5:])
        if middle > 0 and late > 100 * middle:
            yield Finding(
                WARNING,
                "the loss is growing by orders of magnitude",
                f"{tag} median {late:.3g} recently against {middle:.3g} in the first half",
                "values diverging, or rewards not clipped",
                "a smaller learning rate; check env.wrapper.clip_reward=true",
                "values-diverge",
            )


def _q_ceiling(facts: RunFacts) -> Iterator[Finding]:
    """With clipped rewards no return exceeds 1/(1-gamma): a Q-value beyond it is divergence.
    Unclipped rewards have no such ceiling, so the check then says nothing."""
    q_values = facts.metric("train/q_values")
    if not q_values or not facts.config.env.wrapper.clip_reward:
        return
    gamma = float(facts.config.algo.get("gamma", 0.99))
    ceiling = 1 / (1 - gamma)  # discounted sum of a clipped reward of 1 at every step
    step, value = q_values[-1]
    if abs(value) <= ceiling:
        yield Finding(
            OK,
            "Q-values in range",
            f"train/q_values {value:.2f} at {step:,} steps (limit {ceiling:.0f})",
        )
        return
    yield Finding(
        PROBLEM,
        "Q-values beyond anything clipped rewards can sum to",
        f"train/q_values {value:.1f} at {step:,} steps; the most a clipped reward per step "
        f"can sum to with gamma={gamma:g} is {ceiling:.0f}",
        "the Q-learning targets chase the network's own growing guesses (divergence)",
        "a smaller learning rate; for DQN a larger algo.target_update_interval",
        "values-diverge",
    )
