"""Checks of the scores: how the run ended, random play, the recipe's measured runs, a fall
after a peak, evaluation against training, games the clock ended, and (Q-learners) values the
games did not pay out.

Every comparison of two scores names the noise it is judged against: an evaluation's mean over
n games has a standard error of std / sqrt(n), and two means differ by chance alone by up to
about two standard errors of their difference.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from simple_game.doctor.facts import Evaluated, RunFacts
from simple_game.doctor.findings import OK, PROBLEM, WARNING, Finding
from simple_game.doctor.reference import (
    describe,
    eval_interval,
    left_random_at,
    lower_bound,
    reached_by,
    seed_scores_at,
    steps_to_target,
    upper_bound,
)
from simple_game.records.evaluations import Evaluation, all_cut_at_cap, cap_note
from simple_game.records.reference import MINUTES
from simple_game.records.run_summary import ENDINGS

# Budgets below this are not judged against random play: the quickest runs measured here (PPO
# on Breakout) beat it by their first evaluation at 100k steps, their training games at 50k.
SHORTEST_JUDGED = 50_000
# A fall after a peak, or evaluations below the training games, must last this many
# evaluations in a row: single evaluations of 8 games swing far (see check_collapse).
IN_A_ROW = 3
COLLAPSE_SHARE = 0.5  # of what the run had gained on random play, lost
TRAINING_GAP = 0.25  # of the way from random to human play, below the training games
# Q-learners: predicted values above the discounted returns the games paid by more than this
# many times the returns' size (and more than 1, a clipped point's worth) overestimate.
OVERESTIMATE = 1.0
ENDED = ("target", "time_limit", "budget", "interrupted", "died", "failed")
Q_LEARNERS = ("dqn", "qrdqn", "pqn")  # their predicted value is Q of the action taken


def check_ending(facts: RunFacts) -> Iterator[Finding]:
    """How the run stopped: reached its target, its time limit, its budget, interrupted, dead."""
    ending, steps = facts.ending, f"{facts.steps:,} of {facts.budget:,} steps"
    minutes = facts.summary.minutes
    if ending == "target" and facts.target is not None:
        # The evaluation that stopped the run, not its step count's pooled mean: a final
        # evaluation of the same weights on other games may have scored less.
        hit = next((e for e in facts.evaluations if e.mean_reward >= facts.target), None)
        at = "" if hit is None else (
            f": eval/mean_reward {hit.mean_reward:.1f} at {hit.timesteps:,} steps, "
            f"after {hit.minutes or 0:.1f} minutes of training"
        )  # fmt: skip
        yield Finding(OK, "reached its target", f"train.target_score={facts.target:g}{at}")
    elif ending == "time_limit":
        yield Finding(
            OK,
            "stopped by its time limit",
            f"train.max_minutes={facts.config.train.max_minutes:g} used up at {steps}; judged "
            "below on what it reached",
        )
    elif ending == "budget":
        yield Finding(OK, "trained its whole budget", f"{steps} in {minutes:.1f} minutes")
    elif ending == "interrupted":
        yield Finding(
            OK,
            "interrupted",
            f"stopped by Ctrl-C or SIGTERM at {steps}",
            fix=f"python -m simple_game resume={facts.run_dir}",
        )
    elif ending in ("died", "running"):
        age = _heartbeat_age(facts)
        if ending == "running":
            yield Finding(OK, "training", f"{steps}, last heartbeat {age} ago")
            return
        yield Finding(
            PROBLEM,
            "the training died",
            f"summary.json says running, but its last heartbeat was {age} ago, at {steps}",
            "the process was killed (kill -9, out of memory, a closed terminal, a power cut)",
            f"python -m simple_game resume={facts.run_dir} (from its last checkpoint)",
            "the-run-died",
        )
    elif ending in ("failed", "pruned"):
        level = PROBLEM if ending == "failed" else OK
        yield Finding(level, ENDINGS[ending], facts.summary.error or "no message")


def check_scores(facts: RunFacts) -> Iterator[Finding]:
    """The latest evaluations against random play, by more than their own noise (two standard
    errors of the mean): pong_qrdqn seed 0 ended at -20.5 against random's -20.7, above it
    but well within the noise of its games.

    Judged once the run ended, or while it trains once the recipe's measured runs had all left
    random play by that step count (without a recipe: from half the budget).
    """
    ref = facts.baseline
    if not facts.points or ref is None or facts.ending == "target":
        return
    last = facts.points[-1]
    evidence = f"{last.evidence()}; random play scores {ref.random:g}"
    if facts.budget < SHORTEST_JUDGED:
        yield Finding(
            OK,
            "too short to judge the score",
            f"{evidence}; budgets under {SHORTEST_JUDGED:,} steps are not judged (the quickest "
            "runs measured here, PPO on Breakout, pass random play within 50k-100k steps)",
        )
        return
    if facts.ending not in ENDED:
        judged_from, why = _judged_from(facts)
        if last.steps < judged_from:
            yield Finding(OK, "too early to tell", f"{evidence}; {why}")
            return
    # A training run is judged on its last two evaluations (one bad evaluation of a learning
    # run is noise: pong_a2c seed 0 scored -21.0 once at 4.6M steps, between -10.2 and -10.6),
    # an ended run on its last, which pools the final evaluation's games.
    judged = facts.points[-1:] if facts.ending in ENDED else facts.points[-2:]
    if any(p.mean - 2 * p.se > ref.random for p in judged):
        yield Finding(OK, "evaluations beat random play", evidence)
    else:
        yield Finding(
            PROBLEM,
            "no better than random play",
            f"{evidence}; not above it by more than the evaluation's noise",
            "nothing useful was learned: see the checks above, or a budget too small for the game",
            "check the budget against the schedules, then the learning rate",
            "nothing-is-learned",
        )


def _judged_from(facts: RunFacts) -> tuple[int, str]:
    """From which step count a training run's score is judged, and why then."""
    reference, ref = facts.reference, facts.baseline
    if reference is not None and ref is not None:
        step = left_random_at(reference, ref)
        if step is not None:
            return step, (
                f"recipe {reference['recipe']}'s measured runs had all left random play by "
                f"{step:,} steps: judged from there"
            )
    half = facts.budget // 2
    return half, f"judged from half the budget ({half:,} steps) or at the end"


def check_reference(facts: RunFacts) -> Iterator[Finding]:
    """A recipe run against the recipe's measured runs: its score at the same step count, its
    steps without reaching the target, and (once it stopped short) its score at the same
    training minutes."""
    reference, ref, target = facts.reference, facts.baseline, facts.target
    if reference is None or not facts.points or facts.ending == "target":
        return
    last, name = facts.points[-1], reference["recipe"]
    scores = seed_scores_at(reference, last.steps)
    there = describe(scores, reached_by(reference, last.steps, target or math.inf), target)
    evidence = f"{last.evidence()}; recipe {name}'s measured runs there: {there}"
    if facts.ending in ("time_limit", "budget") and last.minutes is not None:
        at = seed_scores_at(reference, last.minutes, MINUTES)
        done = reached_by(reference, last.minutes, target or math.inf, MINUTES)
        evidence += f"; after {last.minutes:.0f} training minutes: {describe(at, done, target)}"
    slow = _slower_than_the_recipe(facts, reference, last)
    bound = lower_bound(scores)
    if slow is not None:
        yield slow
    elif bound is None:
        yield Finding(OK, f"compared with recipe {name}", f"{evidence}: too few runs for a verdict")
    elif ref is not None and bound <= ref.random:
        step = left_random_at(reference, ref)
        when = f"by {step:,} steps" if step else "only later"
        yield Finding(
            OK,
            "too early to tell",
            f"{evidence}; the recipe's runs had all left random play {when}",
        )
    elif last.mean < bound:
        yield Finding(
            WARNING,
            f"below recipe {name}'s measured runs",
            f"{evidence}; a healthy run of the recipe scores below {bound:.1f} there about one "
            "time in 20",
            "a changed setting, an unlucky seed, or a slower machine (compare steps, not minutes)",
            "compare your overrides with the recipe's; try another seed",
            "below-the-reference",
        )
    else:
        yield Finding(OK, f"on track for recipe {name}", evidence)


def _slower_than_the_recipe(
    facts: RunFacts, reference: dict[str, Any], last: Evaluated
) -> Finding | None:
    """A warning when the run has gone past the steps a healthy run of the recipe takes to its
    target (the upper prediction bound of the measured runs' steps to it)."""
    target = facts.target
    measured = steps_to_target(reference)
    limit = None if measured is None else upper_bound(measured, eval_interval(reference))
    if limit is None or measured is None or last.steps <= limit:
        return None
    taken = ", ".join(f"{s / 1e6:.1f}M" for s in sorted(measured))
    return Finding(
        WARNING,
        f"slower to its target than recipe {reference['recipe']}'s runs",
        f"{last.evidence()}, no evaluation at {target:g} yet; the recipe's runs reached it after "
        f"{taken} steps, and a healthy run takes longer than {limit / 1e6:.1f}M about one time "
        "in 20",
        "a changed setting, an unlucky seed, or a slower machine (compare steps, not minutes)",
        "compare your overrides with the recipe's; try another seed",
        "below-the-reference",
    )


def check_collapse(facts: RunFacts) -> Iterator[Finding]:
    """The last :data:`IN_A_ROW` evaluations all far below an earlier peak: learning undone.

    One low evaluation is not a collapse: PQN's dip for an evaluation or two and come back
    (pong_pqn seed 2: 17.8 at 1.2M steps, -7.0 and -9.5, then 20.4), so the fall must last
    and be large: beyond the noise of two evaluations and more than half of what the run had
    gained on random play, at each of the last evaluations."""
    ref, points = facts.baseline, facts.points
    if ref is None or len(points) <= IN_A_ROW:
        return
    recent = points[-IN_A_ROW:]
    best = max(points[:-IN_A_ROW], key=lambda p: p.mean)
    gained = best.mean - ref.random
    if best.mean - 2 * best.se <= ref.random:  # no peak above random play to fall from
        return

    def fell(p: Evaluated) -> bool:
        drop = best.mean - p.mean
        return drop > 2 * math.hypot(best.se, p.se) and drop > COLLAPSE_SHARE * gained

    if all(fell(p) for p in recent):
        last = recent[-1]
        yield Finding(
            WARNING,
            "scores fell after a peak",
            f"{last.evidence()}, the last {IN_A_ROW} evaluations "
            f"{', '.join(f'{p.mean:.1f}' for p in recent)} after {best.mean:.1f} at "
            f"{best.steps:,} steps: more than half of what it had gained on random play lost",
            "late updates undo what was learned: a learning rate that stays high, too many "
            "epochs per rollout, or (Q-learners) values drifting",
            f"best_model.zip keeps the peak (evaluate uses it); next time {_smaller_rate(facts)}",
            "scores-fall-after-a-peak",
        )


def _smaller_rate(facts: RunFacts) -> str:
    """The key that lowers this run's learning rate: PPO's and PQN's is a schedule."""
    from omegaconf import OmegaConf

    if OmegaConf.is_dict(facts.config.algo.learning_rate):
        return (
            "a smaller algo.learning_rate.start, decaying to 0 "
            "(algo.learning_rate.end=0, their default)"
        )
    return "a smaller algo.learning_rate (constant in this algorithm)"


def check_eval_vs_training(facts: RunFacts) -> Iterator[Finding]:
    """The last :data:`IN_A_ROW` evaluations all far below the training games of their time.

    Training games are played with exploration, so evaluations are usually at or above them; far
    below, evaluation after evaluation, means the evaluation plays differently (greedy play
    stuck in a loop, a frame cap). A single low evaluation is noise (breakout_ppo seed 2: 21.1
    at 1.4M steps against 30.9 in training, then 32.9)."""
    ref, train = facts.baseline, facts.metric("rollout/ep_rew_mean")
    if ref is None or len(facts.points) < IN_A_ROW or not train:
        return
    recent, gaps = facts.points[-IN_A_ROW:], []
    for p in recent:
        before = [value for steps, value in train if steps <= p.steps]
        gaps.append(before[-1] - p.mean if before else -math.inf)
    margin = TRAINING_GAP * (ref.human - ref.random)
    if all(gap > max(2 * p.se, margin) for gap, p in zip(gaps, recent, strict=True)):
        yield Finding(
            WARNING,
            "evaluation far below the training games",
            f"{recent[-1].evidence()}; each of the last {IN_A_ROW} evaluations was "
            f"{min(gaps):.1f} or more below the average of the last 100 training games",
            "the evaluation plays differently: greedy play (train.eval_deterministic=true) "
            "stuck in a loop, such as never pressing FIRE in Breakout, or games cut at the "
            "frame cap",
            "train.eval_deterministic=false; python -m simple_game.evaluate run=<run> "
            "video=true to watch an evaluation game",
            "evaluation-below-training",
        )


def check_frame_cap(facts: RunFacts) -> Iterator[Finding]:
    """Every game of the latest evaluation ended by the emulator's clock, not by play."""
    if not facts.evaluations:
        return
    last, cap = facts.evaluations[-1], int(facts.config.env.max_frames_per_episode)
    lengths = last.episode_lengths
    if all_cut_at_cap(lengths, cap):
        yield Finding(
            WARNING,
            "every evaluation game hit the frame cap",
            f"{len(lengths)} of {len(lengths)} games at {last.timesteps:,} steps lasted "
            f"{cap:,} frames",
            cap_note(cap),
            "train.eval_deterministic=false (sampled actions press FIRE sooner or later)",
            "evaluation-below-training",
        )


def check_overestimation(facts: RunFacts) -> Iterator[Finding]:
    """Q-learners: the values the network predicted for the actions it took, against the
    discounted returns those games then paid (in the units it learns: clipped rewards, episodes
    ending at a lost life). Overestimation is the classic failure of Q-learning's max
    (van Hasselt et al. 2016, Double DQN, measured it on Atari this way).

    Judged once exploration is over (and learning has started): before, the network's values
    are still its first guesses (pong_pqn seed 3 predicted 1.8 against a paid -2.5 at 100k
    steps, then 0.35 against -2.4 at 300k, and tracked the returns from there), and only
    when the last :data:`IN_A_ROW` evaluations all overestimate."""
    if facts.algo not in Q_LEARNERS:
        return
    algo = facts.config.algo
    explored = max(
        float(algo.get("exploration_fraction") or 0) * facts.budget,
        float(algo.get("learning_starts") or 0),
    )
    measured = [e for e in facts.evaluations if e.timesteps >= explored
                and e.predicted_value is not None and e.discounted_return is not None]  # fmt: skip
    if not measured:
        return
    recent = measured[-IN_A_ROW:]
    last = recent[-1]
    predicted, paid = last.predicted_value or 0.0, last.discounted_return or 0.0
    evidence = (
        f"predicted Q of the actions taken {predicted:.2f} on average, discounted return the "
        f"games paid {paid:.2f}, at {last.timesteps:,} steps"
    )
    if len(recent) == IN_A_ROW and all(_overestimates(e) for e in recent):
        yield Finding(
            WARNING,
            "values overestimated",
            f"{evidence}; the last {IN_A_ROW} evaluations all predicted more than the games "
            "paid by more than what they paid",
            "the max in Q-learning's target picks the luckiest overestimate, and it compounds "
            "through bootstrapping",
            "a smaller learning rate; DQN: a larger algo.target_update_interval",
            "values-overestimated",
        )
    else:
        yield Finding(OK, "values match what the games paid", evidence)


def _overestimates(e: Evaluation) -> bool:
    """Predicted above paid by more than the paid return's size, and by more than one point's
    worth (a clipped reward of 1): a learning agent's values lag its improving play by less
    (pong_pqn seed 4 predicted 0.41 against a paid -0.61 at 400k steps, while its scores
    climbed from -21 to -12.75)."""
    paid = e.discounted_return or 0.0
    return (e.predicted_value or 0.0) - paid > max(1.0, OVERESTIMATE * abs(paid))


def _heartbeat_age(facts: RunFacts) -> str:
    """How long ago summary.json was last written, e.g. ``"42s"``, ``"17m"``, ``"3h05m"``."""
    try:
        age = facts.now - datetime.fromisoformat(str(facts.summary.updated_at))
    except (TypeError, ValueError):
        return "an unknown time"
    seconds = max(int(age.total_seconds()), 0)
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    return f"{minutes}m" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"
