"""PQN: Q-learning over parallel games, without a replay buffer or a target network.

Paper: Gallici et al. 2024, "Simplifying Deep Temporal Difference Learning" (arXiv 2407.04811).
Read it beside docs/algorithms/pqn.md, whose pseudocode numbers the steps marked ``# (n)`` below.

DQN needs two crutches to stay stable: a replay buffer (old, decorrelated data) and a target
network (a frozen copy to bootstrap from). PQN drops both:

* **many games at once** decorrelate the data instead of a replay buffer: each update learns
  from one fresh rollout of ``n_envs`` games and then throws it away, as PPO does;
* **LayerNorm in the network** (:class:`~simple_game.model.networks.LayerNormNatureCNN`) keeps
  bootstrapping from the network being trained stable in practice, so no target network is
  needed (the paper's proof needs LayerNorm plus L2 regularisation of the last layer, in the
  wide-network limit; the Atari code has no L2 term);
* **Q(lambda) targets** mix 1-step and multi-step returns along each rollout, which speeds up
  learning where DQN's 1-step targets propagate rewards one step per update.

The class is an SB3 ``BaseAlgorithm``: ``PQN("CnnPolicy", env).learn(...)``, ``save``, ``load``
and ``predict`` work as for SB3's own algorithms, and so do its callbacks and logger.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import numpy as np
import torch as th
from gymnasium import spaces
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.policies import BasePolicy
from stable_baselines3.common.type_aliases import GymEnv, MaybeCallback, Schedule
from stable_baselines3.common.utils import LinearSchedule, obs_as_tensor
from stable_baselines3.dqn.policies import QNetwork
from torch import nn
from torch.nn import functional as F

from simple_game.model.networks import LayerNormNatureCNN

SelfPQN = TypeVar("SelfPQN", bound="PQN")


class PQNPolicy(BasePolicy):
    """One Q-network (features extractor + a linear head per action) and its optimizer.

    SB3's ``DQNPolicy`` also builds a target network; PQN has none, so this policy holds only
    SB3's ``QNetwork``. ``net_arch: []`` (the project's policy configs) puts the action head
    straight on the 512 features, as in the Nature DQN.
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Discrete,
        lr_schedule: Schedule,
        net_arch: list[int] | None = None,
        features_extractor_class: type[Any] = LayerNormNatureCNN,
        features_extractor_kwargs: dict[str, Any] | None = None,
        normalize_images: bool = True,
        optimizer_class: type[th.optim.Optimizer] = th.optim.RAdam,
        optimizer_kwargs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            observation_space,
            action_space,
            features_extractor_class,
            features_extractor_kwargs,
            optimizer_class=optimizer_class,
            optimizer_kwargs=optimizer_kwargs,
            normalize_images=normalize_images,
        )
        self.net_arch = [] if net_arch is None else net_arch
        extractor = self.make_features_extractor()
        self.q_net = QNetwork(
            observation_space,
            action_space,
            features_extractor=extractor,
            features_dim=extractor.features_dim,
            net_arch=self.net_arch,
            normalize_images=normalize_images,
        )
        head = self.q_net.q_net[-1]
        # As every layer of CleanRL's PQN; the paper's code (purejaxql) keeps flax's default here.
        nn.init.orthogonal_(head.weight, gain=np.sqrt(2))
        nn.init.zeros_(head.bias)
        self.optimizer = self.optimizer_class(
            self.parameters(), lr=lr_schedule(1), **self.optimizer_kwargs
        )

    def forward(self, obs: th.Tensor) -> th.Tensor:
        """Q-values of every action, shape (batch, n_actions)."""
        return self.q_net(obs)

    def _predict(self, observation: th.Tensor, deterministic: bool = True) -> th.Tensor:
        return self.q_net._predict(observation, deterministic)  # the greedy action

    def _get_constructor_parameters(self) -> dict[str, Any]:
        # What ``PQNPolicy.load`` needs to rebuild the network (the algorithm owns the schedule).
        data = super()._get_constructor_parameters()
        data.update(
            lr_schedule=self._dummy_schedule,
            net_arch=self.net_arch,
            features_extractor_class=self.features_extractor_class,
            features_extractor_kwargs=self.features_extractor_kwargs,
            optimizer_class=self.optimizer_class,
            optimizer_kwargs=self.optimizer_kwargs,
        )
        return data


@dataclass
class Rollout:
    """What one rollout of ``n_steps`` in ``n_envs`` games stores, indexed [step, game]."""

    obs: th.Tensor  # uint8 frames the agent saw
    actions: th.Tensor  # the actions it took
    rewards: th.Tensor  # clipped rewards it got (plus a bootstrap where a game was cut off)
    dones: th.Tensor  # 1.0 where the episode ended with this step
    max_q: th.Tensor  # max_a Q(obs, a) at acting time: the bootstrap value of the step before
    last_max_q: th.Tensor | None = None  # max_a Q of the observation after the last step

    @classmethod
    def empty(cls, n_steps: int, n_envs: int, obs_shape: tuple[int, ...], device: Any) -> Rollout:
        zeros = th.zeros((n_steps, n_envs), device=device)
        return cls(
            obs=th.zeros((n_steps, n_envs, *obs_shape), dtype=th.uint8, device=device),
            actions=th.zeros((n_steps, n_envs), dtype=th.long, device=device),
            rewards=zeros.clone(),
            dones=zeros.clone(),
            max_q=zeros.clone(),
        )


def q_lambda_returns(
    rewards: th.Tensor,
    dones: th.Tensor,
    max_q: th.Tensor,
    last_max_q: th.Tensor,
    gamma: float,
    q_lambda: float,
) -> th.Tensor:
    """Q(lambda) targets of a rollout, computed backwards from its last step (pseudocode step 3).

    For step t, with ``done_t`` = 1 when the episode ended there::

        G_t = r_t + gamma * (1 - done_t) * ((1 - lambda) * max_a Q(s_t+1, a) + lambda * G_t+1)

    lambda = 0 gives DQN's one-step target; lambda = 1 the discounted sum of the rewards up to
    the rollout's end, then one bootstrap. At the last step G_T is taken to be max_a Q(s_T, a),
    so the rollout ends with a one-step bootstrap. A finished episode cuts the sum: nothing
    after ``done_t`` flows back into G_t.

    :param rewards: (n_steps, n_envs) rewards.
    :param dones: (n_steps, n_envs) 1.0 where the episode ended at that step.
    :param max_q: (n_steps, n_envs) max_a Q(s_t, a) recorded when acting in s_t.
    :param last_max_q: (n_envs,) max_a Q of the observation after the last step.
    """
    returns = th.zeros_like(rewards)
    next_return, next_max_q = last_max_q, last_max_q
    for t in reversed(range(rewards.shape[0])):
        mixed = (1 - q_lambda) * next_max_q + q_lambda * next_return
        returns[t] = rewards[t] + gamma * (1.0 - dones[t]) * mixed
        next_return, next_max_q = returns[t], max_q[t]
    return returns


class PQN(BaseAlgorithm):
    """Parallelised Q-Network (see the module docstring and docs/algorithms/pqn.md).

    :param policy: ``"CnnPolicy"`` (the Q-network of :class:`PQNPolicy`) or a policy class.
    :param env: a vectorised env; PQN needs several games at once (8 in CleanRL's Atari
        setting, 128 in the paper's own code, purejaxql's ``pqn_atari.yaml``).
    :param learning_rate: optimizer step size, a constant or a schedule of the progress left.
    :param n_steps: steps per game in each rollout; a rollout holds ``n_steps * n_envs`` samples.
    :param batch_size: samples per gradient step (a minibatch of the rollout).
    :param n_epochs: passes over each rollout.
    :param gamma: discount factor.
    :param q_lambda: lambda of the Q(lambda) targets (0 = one-step Q-learning targets).
    :param exploration_fraction: fraction of training over which epsilon falls from its initial
        to its final value.
    :param exploration_initial_eps: epsilon at the start: the probability of a random action.
    :param exploration_final_eps: epsilon after the decay.
    :param max_grad_norm: gradients are clipped to this norm.
    """

    policy_aliases: ClassVar[dict[str, type[BasePolicy]]] = {"CnnPolicy": PQNPolicy}
    policy: PQNPolicy
    exploration_schedule: Schedule

    def __init__(
        self,
        policy: str | type[PQNPolicy],
        env: GymEnv | str,
        learning_rate: float | Schedule = 2.5e-4,
        n_steps: int = 128,
        batch_size: int = 256,
        n_epochs: int = 4,
        gamma: float = 0.99,
        q_lambda: float = 0.65,
        exploration_fraction: float = 0.1,
        exploration_initial_eps: float = 1.0,
        exploration_final_eps: float = 0.01,
        max_grad_norm: float = 10.0,
        stats_window_size: int = 100,
        tensorboard_log: str | None = None,
        policy_kwargs: dict[str, Any] | None = None,
        verbose: int = 0,
        seed: int | None = None,
        device: th.device | str = "auto",
        _init_setup_model: bool = True,
    ) -> None:
        super().__init__(
            policy,
            env,
            learning_rate,
            policy_kwargs=policy_kwargs,
            stats_window_size=stats_window_size,
            tensorboard_log=tensorboard_log,
            verbose=verbose,
            device=device,
            seed=seed,
            support_multi_env=True,
            supported_action_spaces=(spaces.Discrete,),
        )
        self.n_steps = n_steps
        self.batch_size = batch_size
        self.n_epochs = n_epochs
        self.gamma = gamma
        self.q_lambda = q_lambda
        self.exploration_fraction = exploration_fraction
        self.exploration_initial_eps = exploration_initial_eps
        self.exploration_final_eps = exploration_final_eps
        self.max_grad_norm = max_grad_norm
        self.exploration_rate = exploration_initial_eps
        self._steps_at_start = 0
        if _init_setup_model:
            self._setup_model()

    def _setup_model(self) -> None:
        self._setup_lr_schedule()
        self.set_random_seed(self.seed)
        self.policy = self.policy_class(
            self.observation_space, self.action_space, self.lr_schedule, **self.policy_kwargs
        ).to(self.device)
        self.exploration_schedule = LinearSchedule(
            self.exploration_initial_eps, self.exploration_final_eps, self.exploration_fraction
        )

    def learn(
        self: SelfPQN,
        total_timesteps: int,
        callback: MaybeCallback = None,
        log_interval: int = 1,
        tb_log_name: str = "PQN",
        reset_num_timesteps: bool = True,
        progress_bar: bool = False,
    ) -> SelfPQN:
        """The training loop: rollout, Q(lambda) targets, regression, repeat."""
        total_timesteps, callback = self._setup_learn(
            total_timesteps, callback, reset_num_timesteps, tb_log_name, progress_bar
        )
        assert self.env is not None
        rollout = Rollout.empty(
            self.n_steps, self.env.num_envs, self.observation_space.shape, self.device
        )
        callback.on_training_start(locals(), globals())
        self._steps_at_start = self.num_timesteps  # this session's speed counts from here
        iteration = 0
        while self.num_timesteps < total_timesteps:
            if not self.collect_rollout(rollout, callback):  # (1)-(2): play epsilon-greedy
                break  # a callback asked to stop (Ctrl-C, a pruned trial, a reached target)
            iteration += 1
            if log_interval and iteration % log_interval == 0:
                self.dump_logs(iteration)
            self.train(rollout)  # (3)-(4): Q(lambda) targets, then minibatch regression
        callback.on_training_end()
        return self

    def predict(
        self,
        observation: np.ndarray | dict[str, np.ndarray],
        state: tuple[np.ndarray, ...] | None = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...] | None]:
        """The greedy action of each observation; with ``deterministic=False`` each game's is
        replaced by a random one with probability ``exploration_rate`` (the current training
        epsilon), as the rollouts explore: game by game, where SB3's ``DQN.predict`` draws once
        for the whole batch.

        Evaluations do not use this: they play at a fixed, stated epsilon
        (``train.eval_epsilon``, 0.01 by default; :mod:`simple_game.model.acting`).
        """
        actions, state = self.policy.predict(observation, state, episode_start, deterministic=True)
        if deterministic:
            return actions, state
        explore = np.random.rand(*np.shape(actions)) < self.exploration_rate
        random_actions = np.random.randint(int(self.action_space.n), size=np.shape(actions))  # type: ignore[attr-defined]
        return np.where(explore, random_actions, actions), state

    def dump_logs(self, iteration: int) -> None:
        """The rollout/ and time/ metrics, named as SB3's on-policy algorithms name them."""
        elapsed = max((time.time_ns() - self.start_time) / 1e9, sys.float_info.epsilon)
        self.logger.record("time/iterations", iteration, exclude="tensorboard")
        episodes = list(self.ep_info_buffer or [])
        if episodes:  # full-game scores: the Monitor sits inside the Atari wrappers
            self.logger.record("rollout/ep_rew_mean", float(np.mean([e["r"] for e in episodes])))
            self.logger.record("rollout/ep_len_mean", float(np.mean([e["l"] for e in episodes])))
        self.logger.record("time/fps", int((self.num_timesteps - self._steps_at_start) / elapsed))
        self.logger.record("time/time_elapsed", int(elapsed), exclude="tensorboard")
        self.logger.record("time/total_timesteps", self.num_timesteps, exclude="tensorboard")
        self.logger.dump(step=self.num_timesteps)

    def collect_rollout(self, rollout: Rollout, callback: BaseCallback) -> bool:
        """Play ``n_steps`` in every game with the epsilon-greedy policy; fill ``rollout``.

        Returns False if a callback stopped training mid-rollout.
        """
        assert self.env is not None and self._last_obs is not None
        self.policy.set_training_mode(False)
        n_envs, n_actions = self.env.num_envs, int(self.action_space.n)  # type: ignore[attr-defined]
        callback.on_rollout_start()
        for step in range(self.n_steps):
            # (1) epsilon follows its schedule step by step, as in DQN.
            self._update_current_progress_remaining(self.num_timesteps, self._total_timesteps)
            self.exploration_rate = self.exploration_schedule(self._current_progress_remaining)
            obs = obs_as_tensor(self._last_obs, self.device)
            with th.no_grad():
                q_values = self.policy(obs)
            greedy = q_values.argmax(dim=1)
            explore = th.rand(n_envs, device=self.device) < self.exploration_rate
            random_actions = th.randint(n_actions, (n_envs,), device=self.device)
            actions = th.where(explore, random_actions, greedy)

            # (2) step every game at once and store the transition.
            new_obs, rewards, dones, infos = self.env.step(actions.cpu().numpy())
            self.num_timesteps += n_envs
            callback.update_locals(locals())
            if not callback.on_step():
                return False
            self._update_info_buffer(infos, dones)
            rollout.obs[step] = obs
            rollout.actions[step] = actions
            rewards = self._bootstrap_cut_games(rewards, dones, infos)
            rollout.rewards[step] = th.as_tensor(rewards, device=self.device)
            rollout.dones[step] = th.as_tensor(dones, dtype=th.float32, device=self.device)
            rollout.max_q[step] = q_values.max(dim=1).values
            self._last_obs = new_obs  # type: ignore[assignment]

        with th.no_grad():  # the value to bootstrap from after the rollout's last step
            rollout.last_max_q = self.policy(obs_as_tensor(new_obs, self.device)).max(dim=1).values
        callback.update_locals(locals())
        callback.on_rollout_end()
        return True

    def _bootstrap_cut_games(
        self, rewards: np.ndarray, dones: np.ndarray, infos: list[dict[str, Any]]
    ) -> np.ndarray:
        """Rewards, plus gamma * max_a Q(last frame) for games cut off by the frame cap.

        A game cut at the time limit did not end: its future still has value, but the env has
        already reset it, so the value is added here, as SB3's PPO and A2C do (SB3 issue 633).
        """
        rewards = rewards.astype(np.float32)
        for i, done in enumerate(dones):
            last = infos[i].get("terminal_observation")
            if done and last is not None and infos[i].get("TimeLimit.truncated", False):
                with th.no_grad():
                    last_q = self.policy(obs_as_tensor(last[None], self.device))
                rewards[i] += self.gamma * float(last_q.max())
        return rewards

    def train(self, rollout: Rollout) -> None:
        """Fit Q(s, a) to the rollout's Q(lambda) targets: ``n_epochs`` passes of minibatches."""
        assert rollout.last_max_q is not None
        self.policy.set_training_mode(True)
        self._update_learning_rate(self.policy.optimizer)

        # (3) targets, computed once per rollout with the network that collected it.
        returns = q_lambda_returns(
            rollout.rewards,
            rollout.dones,
            rollout.max_q,
            rollout.last_max_q,
            self.gamma,
            self.q_lambda,
        )
        obs = rollout.obs.flatten(0, 1)
        actions = rollout.actions.flatten()
        returns = returns.flatten()

        # (4) regression of Q(s, a) on the targets, like PPO's epochs over minibatches.
        losses, q_taken = [], []  # kept on the device: read once per rollout, not per minibatch
        for _ in range(self.n_epochs):
            for batch in th.randperm(len(returns), device=self.device).split(self.batch_size):
                # index_select copies whole rows: 0.3 ms for 128 frame stacks, obs[batch] 2.3 here
                frames = obs.index_select(0, batch)
                q = self.policy(frames).gather(1, actions[batch, None]).squeeze(1)
                loss = F.mse_loss(q, returns[batch])  # CleanRL's loss; purejaxql's is half of it
                self.policy.optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(self.policy.parameters(), self.max_grad_norm)
                self.policy.optimizer.step()
                losses.append(loss.detach())
                q_taken.append(q.detach().mean())
        self._n_updates += self.n_epochs

        self.logger.record("train/loss", float(th.stack(losses).mean()))
        self.logger.record("train/q_values", float(th.stack(q_taken).mean()))
        self.logger.record("train/target_mean", float(returns.mean()))
        self.logger.record("rollout/exploration_rate", self.exploration_rate)
        self.logger.record("train/n_updates", self._n_updates, exclude="tensorboard")

    def _get_torch_save_params(self) -> tuple[list[str], list[str]]:
        return ["policy", "policy.optimizer"], []
