"""What an evaluation's games showed beyond the score: which actions the agent chose, how sure
its policy was, and how the values its network predicted compare with what the games paid.

An ``evaluate_policy`` callback: SB3 calls it once per game step of each game still counted,
with the step's reward and info. The agent (:class:`~simple_game.model.acting.EvaluationAgent`)
keeps the network's outputs for the observations it just acted on, so each step's predicted
value is the one its action came from.

**Predicted against paid.** A value is a prediction of the discounted return, in the units the
network learns: rewards clipped to their sign (``env.wrapper.clip_reward``) and, when training
ends an episode at each lost life (``env.wrapper.terminal_on_life_loss``), a return that stops
there. So each step's paid return is worked out the same way from the evaluation game's real
rewards and lives: G_t = r_t + gamma r_{t+1} + ... up to the life's (or game's) end. For a
Q-learner the prediction is Q(s_t, a_t) of the action it took; for an actor-critic, V(s_t).
Steps whose return was cut short by the frame cap are left out (their true return is unknown).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from simple_game.envs.games import action_names
from simple_game.model.acting import EvaluationAgent

if TYPE_CHECKING:
    from stable_baselines3.common.type_aliases import PolicyPredictor

    from simple_game.config.schema import EnvConf


class PlayTally:
    """Counts and sums over the steps of an evaluation's games (see the module docstring)."""

    def __init__(
        self,
        agent: PolicyPredictor,
        action_names: Sequence[str],
        gamma: float,
        clip_reward: bool,
        life_ends_return: bool,
        n_envs: int,
    ) -> None:
        self.agent = agent
        self.action_names = action_names
        self.gamma, self.clip_reward, self.life_ends_return = gamma, clip_reward, life_ends_return
        self.actions: Counter[int] = Counter()
        self.entropies: list[float] = []
        self.predicted: list[float] = []
        self.paid: list[float] = []
        # The current life of each game: (predicted value, reward) of its steps so far.
        self._open: list[list[tuple[float, float]]] = [[] for _ in range(n_envs)]
        self._lives: list[int | None] = [None] * n_envs

    def __call__(self, local_vars: dict[str, Any], _globals: dict[str, Any]) -> None:
        i, info = int(local_vars["i"]), local_vars["info"]
        action = int(local_vars["actions"][i])
        self.actions[action] += 1
        out = getattr(self.agent, "last", None)  # the network's outputs (none: random agent)
        if out is None:
            return
        if out.entropy is not None:
            self.entropies.append(float(out.entropy[i]))
        value = float(out.q_values[i, action]) if out.q_values is not None else float(out.value[i])
        reward = float(local_vars["reward"])
        self._open[i].append((value, float(np.sign(reward)) if self.clip_reward else reward))
        lives = info.get("lives")
        lost = lives is not None and self._lives[i] is not None and lives < self._lives[i]
        self._lives[i] = lives
        if local_vars["done"]:
            truncated = bool(info.get("TimeLimit.truncated"))
            self._close(i, paid_in_full=not truncated)
            self._lives[i] = None
        elif lost and self.life_ends_return:
            self._close(i, paid_in_full=True)

    def _close(self, i: int, paid_in_full: bool) -> None:
        """A life (or game) ended: each of its steps' discounted return is now known."""
        steps, self._open[i] = self._open[i], []
        if not paid_in_full:
            return
        ret = 0.0
        for value, reward in reversed(steps):
            ret = reward + self.gamma * ret
            self.predicted.append(value)
            self.paid.append(ret)

    def summary(self) -> dict[str, Any]:
        """The fields an evaluation line (evaluations.jsonl) and evaluate's JSON file keep."""
        # Two lists in the agent's action order (a JSON object's keys would be sorted by name).
        return {
            "action_names": list(self.action_names),
            "action_counts": [self.actions.get(a, 0) for a in range(len(self.action_names))],
            "policy_entropy": float(np.mean(self.entropies)) if self.entropies else None,
            "predicted_value": float(np.mean(self.predicted)) if self.predicted else None,
            "discounted_return": float(np.mean(self.paid)) if self.paid else None,
            "value_steps": len(self.paid),
        }


def play_tally(agent: PolicyPredictor, env: EnvConf, n_envs: int) -> PlayTally:
    """The tally of an evaluation of ``agent`` on the run's game, in its training's units (an
    agent without a network, the random one, gets its actions counted and nothing else)."""
    return PlayTally(
        agent,
        action_names(env.id),
        float(agent.model.gamma) if isinstance(agent, EvaluationAgent) else 0.0,
        env.wrapper.clip_reward,
        env.wrapper.terminal_on_life_loss,
        n_envs,
    )
