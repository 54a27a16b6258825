"""Checks of the settings against the budget: random play that eats it, schedules fitted to
another one. They read only the saved config, so they speak before the first evaluation."""

from __future__ import annotations

from collections.abc import Iterator

from simple_game.doctor.facts import RunFacts
from simple_game.doctor.findings import PROBLEM, WARNING, Finding


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
    recipe = facts.summary.recipe
    if recipe and any(o.startswith("train.total_timesteps=") for o in facts.summary.overrides):
        yield Finding(
            WARNING,
            "a recipe on another budget",
            f"recipe={recipe} with a train.total_timesteps override",
            "every schedule is a fraction of the budget: the recipe's were fitted to its own",
            "drop the train.total_timesteps override (the recipe stops at its target anyway)",
            "below-the-reference",
        )


def check_rewards(facts: RunFacts) -> Iterator[Finding]:
    """Training on the game's real rewards instead of their sign (``clip_reward=false``).

    The Atari settings of every algorithm here (learning rates, DQN's Huber loss, PPO's value
    coefficient) were fitted to rewards of -1, 0 or +1, as DQN's Nature paper trained. Breakout
    pays up to 7 a brick, Seaquest hundreds: the targets, the losses and the gradients grow
    with them. (Pong's rewards are -1 and +1 already: there it changes nothing.)
    """
    if facts.config.env.wrapper.clip_reward:
        return
    yield Finding(
        WARNING,
        "rewards not clipped",
        "env.wrapper.clip_reward=false: training sees the game's real rewards, not their sign",
        "the algorithms' Atari settings assume rewards of -1, 0 or +1; larger rewards make "
        "larger targets, losses and gradients (Q-values have no ceiling then)",
        "env.wrapper.clip_reward=true (evaluations report real scores either way)",
        "values-diverge",
    )
