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

from simple_game.model.outputs import Outputs, network_outputs

if TYPE_CHECKING:
    from stable_baselines3.common.base_class import BaseAlgorithm


def is_q_learner(model: object) -> bool:
    """DQN, QR-DQN and PQN explore with an epsilon schedule; actor-critics do not."""
    return hasattr(model, "exploration_schedule")


class EvaluationAgent:
    """Plays as the trained model would, with the ``predict`` signature SB3's
    ``evaluate_policy`` uses, and keeps what its network said at the last step: ``last`` (the
    :class:`~simple_game.model.outputs.Outputs` the actions came from) and ``explored`` (which
    actions were random ones).

    A Q-learner takes its greedy action, replaced by a uniform random one with probability
    ``epsilon``; an actor-critic samples from its policy (or takes its most likely action when
    ``deterministic``). Its random numbers come from ``seed``, so an evaluation with the same
    seed and weights plays the same games.
    """

    def __init__(
        self, model: BaseAlgorithm, epsilon: float | None, seed: int | None = None
    ) -> None:
        self.model = model
        self.epsilon = epsilon  # None: an actor-critic, which samples from its policy instead
        self.n_actions = int(model.action_space.n)  # type: ignore[attr-defined]
        self.rng = np.random.default_rng(seed)
        self.last: Outputs | None = None
        self.explored = np.zeros(0, dtype=bool)

    def predict(
        self,
        observation: np.ndarray,
        state: Any = None,
        episode_start: Any = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, Any]:
        out = network_outputs(self.model, observation)
        n = len(out.value)
        if self.epsilon is not None:
            explored = self.rng.random(n) < self.epsilon
            actions = np.where(explored, self.rng.integers(self.n_actions, size=n), out.greedy())
        elif deterministic:
            explored, actions = np.zeros(n, dtype=bool), out.greedy()
        else:  # sample a ~ pi(. | s): the first action whose cumulative probability passes u
            assert out.probs is not None
            below = out.probs.cumsum(axis=1) < self.rng.random((n, 1))
            explored, actions = (
                np.zeros(n, dtype=bool),
                np.minimum(below.sum(axis=1), self.n_actions - 1),
            )
        self.last, self.explored = out, explored
        return actions, state


def evaluation_agent(
    model: BaseAlgorithm, deterministic: bool, epsilon: float, seed: int | None = None
) -> tuple[EvaluationAgent, float | None]:
    """The agent an evaluation plays with, and its epsilon (None for an actor-critic)."""
    if not is_q_learner(model):
        return EvaluationAgent(model, None, seed), None
    fixed = 0.0 if deterministic else float(epsilon)
    return EvaluationAgent(model, fixed, seed), fixed
