"""What the network says about an observation, beyond the action ``predict`` returns.

A Q-learner (DQN, QR-DQN, PQN) scores every action: Q(s, a), the discounted return it expects
after taking a in s and playing greedily on; its value of the state is the best of them,
max_a Q(s, a). QR-DQN predicts a distribution of that return (``n_quantiles`` quantiles per
action); Q is their mean and their spread says how unsure it is. An actor-critic (PPO, A2C)
gives a probability to every action, pi(a | s), and a separate value head V(s), the discounted
return it expects from s under its own policy; the entropy of pi says how undecided it is
(log of the number of actions for a uniform policy, 0 for a certain one).

:func:`network_outputs` computes these with the same forward pass ``predict`` uses (the
features extractor with the run's speed settings), so an agent that acts on them acts exactly
as the model would, and every number shown or recorded is the one the action came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch as th

if TYPE_CHECKING:
    from stable_baselines3.common.base_class import BaseAlgorithm


@dataclass(frozen=True)
class Outputs:
    """The network's outputs for a batch of ``n`` observations."""

    q_values: np.ndarray | None  # (n, actions): Q(s, a) of a Q-learner, else None
    probs: np.ndarray | None  # (n, actions): pi(a | s) of an actor-critic, else None
    value: np.ndarray  # (n,): max_a Q(s, a), or V(s)
    entropy: np.ndarray | None  # (n,): the policy's entropy in nats (actor-critics)
    quantile_spread: np.ndarray | None  # (n, actions): QR-DQN's std over its quantiles

    def greedy(self) -> np.ndarray:
        """The action each observation's outputs rank first."""
        scores = self.q_values if self.q_values is not None else self.probs
        assert scores is not None
        return scores.argmax(axis=1)


def network_outputs(model: BaseAlgorithm, observation: np.ndarray) -> Outputs:
    """The outputs of ``model``'s network for a batch of observations (no gradients)."""
    policy = model.policy
    policy.set_training_mode(False)
    obs, _ = policy.obs_to_tensor(observation)
    with th.no_grad():
        if hasattr(policy, "quantile_net"):  # QR-DQN: (n, quantiles, actions)
            quantiles = policy.quantile_net(obs)
            q = quantiles.mean(dim=1)
            return Outputs(_np(q), None, _np(q.max(dim=1).values), None, _np(quantiles.std(dim=1)))
        if hasattr(policy, "q_net"):  # DQN, PQN
            q = policy.q_net(obs)
            return Outputs(_np(q), None, _np(q.max(dim=1).values), None, None)
        distribution, values = _actor_critic(policy, obs)
        probs = distribution.distribution.probs
        entropy = distribution.entropy()
        return Outputs(None, _np(probs), _np(values.flatten()), _np(entropy), None)


def _actor_critic(policy: th.nn.Module, obs: th.Tensor) -> tuple[object, th.Tensor]:
    """SB3's ``ActorCriticPolicy.forward`` up to the action distribution and the value, in one
    pass through the features extractor. SB3 offers the two only separately
    (``get_distribution`` and ``predict_values`` each run the extractor), so this is its
    ``forward`` without the sampling."""
    features = policy.extract_features(obs)
    if policy.share_features_extractor:
        latent_pi, latent_vf = policy.mlp_extractor(features)
    else:
        latent_pi = policy.mlp_extractor.forward_actor(features[0])
        latent_vf = policy.mlp_extractor.forward_critic(features[1])
    return policy._get_action_dist_from_latent(latent_pi), policy.value_net(latent_vf)


def _np(tensor: th.Tensor) -> np.ndarray:
    return tensor.float().cpu().numpy()
