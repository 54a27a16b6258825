"""Feature extractors that SB3 policies use to turn stacked Atari frames into features.

Configs reference them by dotted path (``simple_game.policies.SimpleNatureCNN``), so keep
the public names in ``__all__``.
"""

from __future__ import annotations

import gymnasium as gym
import torch as th
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import nn

__all__ = ["SimpleNatureCNN", "conv_output_size"]

# (out_channels, kernel, stride) of the three convolutions in Mnih et al. 2015 ("Nature DQN").
NATURE_CONVS: tuple[tuple[int, int, int], ...] = ((32, 8, 4), (64, 4, 2), (64, 3, 1))


def conv_output_size(size: int, kernel: int, stride: int) -> int:
    """Side length after an unpadded convolution: floor((size - kernel) / stride) + 1."""
    return (size - kernel) // stride + 1


class SimpleNatureCNN(BaseFeaturesExtractor):
    """The Nature-DQN CNN, written to be safe on Apple Silicon (MPS).

    Same layers and parameter count as SB3's ``NatureCNN``, with two differences:

    * the flatten size comes from layer arithmetic. ``NatureCNN`` runs a forward pass on
      ``observation_space.sample()`` in ``__init__``, a CPU tensor that has crashed MPS set-ups;
    * inputs are made contiguous before the first convolution. Channel-first views produced
      by ``VecTransposeImage`` are non-contiguous, which MPS kernels have mishandled. Their
      dtype is kept: SB3 hands over float32, :mod:`simple_game.speed` bf16 under autocast.

    :param observation_space: channel-first image space, shape ``(channels, height, width)``.
    :param features_dim: size of the output feature vector.
    :param normalized_image: passed to SB3; True if images are already scaled to [0, 1].
    """

    def __init__(
        self,
        observation_space: gym.spaces.Box,
        features_dim: int = 512,
        normalized_image: bool = False,
    ) -> None:
        super().__init__(observation_space, features_dim)
        channels, height, width = observation_space.shape
        layers: list[nn.Module] = []
        in_channels = channels
        for out_channels, kernel, stride in NATURE_CONVS:
            layers += [nn.Conv2d(in_channels, out_channels, kernel, stride), nn.ReLU()]
            in_channels = out_channels
            height = conv_output_size(height, kernel, stride)
            width = conv_output_size(width, kernel, stride)
        if height < 1 or width < 1:
            raise ValueError(
                f"observation of shape {observation_space.shape} is too small for the Nature CNN "
                "(needs at least 36x36 pixels)"
            )
        self.cnn = nn.Sequential(*layers, nn.Flatten())
        self.linear = nn.Sequential(
            nn.Linear(in_channels * height * width, features_dim), nn.ReLU()
        )

    def forward(self, observations: th.Tensor) -> th.Tensor:
        return self.linear(self.cnn(observations.contiguous()))
