"""An evaluation's tally: actions counted by name, discounted returns worked out in the units
the network learns (clipped rewards, a return that ends with a lost life), against the values
it predicted for the same steps."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from simple_game.envs.games import action_names
from simple_game.model.outputs import Outputs
from simple_game.training.tally import PlayTally

NAMES = ("NOOP", "FIRE", "RIGHT")


def play_steps(tally: PlayTally, agent: SimpleNamespace, steps: list[tuple]) -> None:
    """Feed the tally what ``evaluate_policy`` passes its callback, one game step at a time:
    (Q-values of the step, action, reward, lives, done, info extras)."""
    for q_values, action, reward, lives, done, extra in steps:
        agent.last = Outputs(np.array([q_values]), None, np.array([max(q_values)]), None, None)
        info = {"lives": lives, **extra}
        tally({"i": 0, "actions": np.array([action]), "reward": reward, "done": done,
               "info": info}, {})  # fmt: skip


def q(taken: float, action: int) -> list[float]:
    values = [0.0, 0.0, 0.0]
    values[action] = taken
    return values


STEPS = [  # Q of the action taken, action, real reward, lives, done
    (q(1.0, 0), 0, 0.0, 3, False, {}),
    (q(2.0, 2), 2, 5.0, 3, False, {}),  # clipped to +1
    (q(0.5, 2), 2, 0.0, 2, False, {}),  # a life lost here: its return ends
    (q(1.0, 1), 1, -3.0, 2, True, {}),  # clipped to -1; game over
]


def test_returns_are_discounted_clipped_and_end_with_each_life() -> None:
    agent = SimpleNamespace(last=None)
    tally = PlayTally(agent, NAMES, gamma=0.5, clip_reward=True, life_ends_return=True, n_envs=1)
    play_steps(tally, agent, STEPS)
    summary = tally.summary()
    # First life: returns 0 + 0.5 * 1 = 0.5, then 1, then 0; second life: -1.
    assert summary["discounted_return"] == pytest.approx((0.5 + 1 + 0 - 1) / 4)
    assert summary["predicted_value"] == pytest.approx((1.0 + 2.0 + 0.5 + 1.0) / 4)
    assert summary["value_steps"] == 4
    assert summary["action_names"] == list(NAMES) and summary["action_counts"] == [1, 1, 2]
    assert sum(summary["action_counts"]) == len(STEPS)
    assert summary["policy_entropy"] is None  # a Q-learner has no policy distribution


def test_without_life_loss_as_an_end_the_return_runs_to_game_over() -> None:
    agent = SimpleNamespace(last=None)
    tally = PlayTally(agent, NAMES, gamma=0.5, clip_reward=False, life_ends_return=False, n_envs=1)
    play_steps(tally, agent, STEPS)
    # Unclipped, one return to game over: -3, 0 + 0.5 * -3, 5 + 0.5 * -1.5, 0 + 0.5 * 4.25.
    paid = [-3.0, -1.5, 4.25, 2.125]
    assert tally.summary()["discounted_return"] == pytest.approx(np.mean(paid))


def test_a_game_cut_at_the_frame_cap_leaves_its_unpaid_steps_out() -> None:
    agent = SimpleNamespace(last=None)
    tally = PlayTally(agent, NAMES, gamma=0.5, clip_reward=True, life_ends_return=True, n_envs=1)
    cut = [*STEPS[:3], (q(1.0, 1), 1, 0.0, 2, True, {"TimeLimit.truncated": True})]
    play_steps(tally, agent, cut)
    summary = tally.summary()
    assert summary["value_steps"] == 3  # the first life's; the cut one's return is unknown
    assert sum(summary["action_counts"]) == 4  # every step's action still counts


def test_a_random_agent_gets_its_actions_counted_and_nothing_else() -> None:
    tally = PlayTally(
        object(), NAMES, gamma=0.99, clip_reward=True, life_ends_return=True, n_envs=1
    )
    tally({"i": 0, "actions": np.array([1]), "reward": 0.0, "done": False, "info": {}}, {})
    assert tally.summary() == {"action_names": list(NAMES), "action_counts": [0, 1, 0],
                               "policy_entropy": None, "predicted_value": None,
                               "discounted_return": None, "value_steps": 0}  # fmt: skip


def test_action_names_are_ales_for_pong_and_breakout() -> None:
    assert action_names("PongNoFrameskip-v4") == (
        "NOOP", "FIRE", "RIGHT", "LEFT", "RIGHTFIRE", "LEFTFIRE"
    )  # fmt: skip
    assert action_names("ALE/Breakout-v5") == ("NOOP", "FIRE", "RIGHT", "LEFT")
