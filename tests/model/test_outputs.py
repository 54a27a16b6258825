"""The network's outputs the evaluations record (and an explained video would draw) are
exactly the model's own: recomputed here from SB3's methods for the same observations."""

from __future__ import annotations

import numpy as np
import pytest
import torch as th

from simple_game.model.acting import EvaluationAgent
from simple_game.model.outputs import network_outputs
from tests.conftest import env_config


def pong_model(algo: str):  # noqa: ANN201 - an SB3 model on 2 real Pong games
    from sb3_contrib import QRDQN
    from stable_baselines3 import A2C, DQN, PPO

    from simple_game.envs.build import make_env
    from simple_game.model.pqn import PQN

    env = make_env(env_config("pong"), n_envs=2, seed=0)
    kwargs = {
        "ppo": {"n_steps": 16, "batch_size": 32},
        "a2c": {"n_steps": 5},
        "pqn": {"n_steps": 16, "batch_size": 16},
    }
    kwargs |= {"dqn": {"buffer_size": 100}, "qrdqn": {"buffer_size": 100}}
    cls = {"ppo": PPO, "a2c": A2C, "dqn": DQN, "qrdqn": QRDQN, "pqn": PQN}[algo]
    model = cls("CnnPolicy", env, seed=0, device="cpu", **kwargs[algo])
    obs = env.reset()
    for _ in range(30):  # frames with the ball in play, not the blank first ones
        obs, *_ = env.step(np.array([env.action_space.sample() for _ in range(2)]))
    return model, obs


@pytest.mark.parametrize("algo", ["dqn", "pqn", "qrdqn"])
def test_a_q_learners_outputs_are_its_q_values(algo: str) -> None:
    model, obs = pong_model(algo)
    out = network_outputs(model, obs)
    tensor, _ = model.policy.obs_to_tensor(obs)
    with th.no_grad():
        if algo == "qrdqn":
            quantiles = model.policy.quantile_net(tensor)
            expected = quantiles.mean(dim=1).numpy()
            np.testing.assert_allclose(out.quantile_spread, quantiles.std(dim=1).numpy(), rtol=1e-5)
        else:
            expected = model.policy.q_net(tensor).numpy()
    assert out.q_values is not None and out.q_values.shape == (2, 6)  # Pong's six actions
    np.testing.assert_allclose(out.q_values, expected, rtol=1e-5)
    np.testing.assert_allclose(out.value, expected.max(axis=1), rtol=1e-5)
    greedy, _ = model.predict(obs, deterministic=True)
    assert np.array_equal(out.greedy(), greedy)


@pytest.mark.parametrize("algo", ["ppo", "a2c"])
def test_an_actor_critics_outputs_are_its_policy_and_value(algo: str) -> None:
    model, obs = pong_model(algo)
    out = network_outputs(model, obs)
    tensor, _ = model.policy.obs_to_tensor(obs)
    with th.no_grad():
        distribution = model.policy.get_distribution(tensor)
        values = model.policy.predict_values(tensor).flatten().numpy()
    assert out.probs is not None and out.q_values is None
    np.testing.assert_allclose(out.probs, distribution.distribution.probs.numpy(), rtol=1e-5)
    np.testing.assert_allclose(out.value, values, rtol=1e-5)
    np.testing.assert_allclose(out.entropy, distribution.entropy().numpy(), rtol=1e-5)
    assert np.allclose(out.probs.sum(axis=1), 1.0)


def test_the_agent_acts_on_the_outputs_it_keeps() -> None:
    model, obs = pong_model("ppo")
    sampled = EvaluationAgent(model, None, seed=1)
    actions, _ = sampled.predict(obs)
    assert sampled.last is not None and actions.min() >= 0 and actions.max() < 6
    # The same seed and weights play the same actions.
    again, _ = EvaluationAgent(model, None, seed=1).predict(obs)
    assert np.array_equal(actions, again)
    greedy = EvaluationAgent(model, None, seed=1)
    assert np.array_equal(greedy.predict(obs, deterministic=True)[0], greedy.last.greedy())
    # Sampled actions follow the policy's probabilities: make action 4 about 80% likely.
    with th.no_grad():
        model.policy.action_net.bias.copy_(th.tensor([0.0, 0.0, 0.0, 0.0, 3.0, 0.0]))
    many = np.repeat(obs[:1], 500, axis=0)
    actions, _ = sampled.predict(many)
    expected = float(sampled.last.probs[0, 4])
    assert expected > 0.7 and abs(np.mean(actions == 4) - expected) < 0.06


def test_a_q_learner_marks_its_random_actions() -> None:
    model, obs = pong_model("dqn")
    agent = EvaluationAgent(model, 1.0, seed=0)  # every action random
    agent.predict(obs)
    assert agent.explored.all()
    agent = EvaluationAgent(model, 0.0, seed=0)
    actions, _ = agent.predict(obs)
    assert not agent.explored.any() and np.array_equal(actions, agent.last.greedy())
