"""How a trained model acts when it is evaluated.

Actor-critics (PPO, A2C) sample from their policy (``deterministic=false``, the Atari
convention) or take its most likely action. Q-learners (DQN, QR-DQN, PQN) have no policy
distribution: SB3's ``predict(deterministic=False)`` takes a random action with the model's
*current training* epsilon (``exploration_rate``, saved in every checkpoint). An evaluation
at 100k steps of a 10M-step DQN run would then play about 90% random moves, and an early
checkpoint would be scored as near-random play whatever its network knows.

So a Q-learner is evaluated epsilon-greedy with a fixed, stated epsilon
(``train.eval_epsilon``, by default 0.01: the final epsilon the three train with here, so an
evaluation plays as training plays once exploration has ended; the Nature DQN paper evaluated
with 0.05; 0 when ``deterministic=true``), whatever its training epsilon is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from stable_baselines3.common.base_class import BaseAlgorithm
    from stable_baselines3.common.type_aliases import PolicyPredictor


def is_q_learner(model: object) -> bool:
    """DQN, QR-DQN and PQN explore with an epsilon schedule; actor-critics do not."""
    return hasattr(model, "exploration_schedule")


class EpsilonGreedy:
    """The model's greedy actions, each replaced by a uniform random one with probability
    ``epsilon``. Has the ``predict`` signature SB3's ``evaluate_policy`` uses."""

    def __init__(self, model: BaseAlgorithm, epsilon: float, seed: int | None = None) -> None:
        self.model = model
        self.epsilon = epsilon
        self.n_actions = int(model.action_space.n)  # type: ignore[attr-defined]
        self.rng = np.random.default_rng(seed)

    def predict(
        self,
        observation: np.ndarray,
        state: Any = None,
        episode_start: Any = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, Any]:
        actions, state = self.model.predict(observation, state, episode_start, deterministic=True)
        explore = self.rng.random(len(actions)) < self.epsilon
        random_actions = self.rng.integers(self.n_actions, size=len(actions))
        return np.where(explore, random_actions, actions), state


def evaluation_agent(
    model: BaseAlgorithm, deterministic: bool, epsilon: float, seed: int | None = None
) -> tuple[PolicyPredictor, float | None]:
    """The agent an evaluation plays with, and its epsilon (None for an actor-critic)."""
    if not is_q_learner(model):
        return model, None
    fixed = 0.0 if deterministic else float(epsilon)
    return EpsilonGreedy(model, fixed, seed), fixed
