"""The networks that turn four stacked 84x84 Atari frames into features.

Configs and saved models reference them by dotted path (``policy_kwargs.features_extractor_class``);
``simple_game.policies`` re-exports :class:`SimpleNatureCNN` under its old path, which the zips of
earlier runs name.
"""

from __future__ import annotations

from typing import ClassVar

import gymnasium as gym
import numpy as np
import torch as th
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import nn

__all__ = ["LayerNormNatureCNN", "SimpleNatureCNN", "conv_output_size"]

# (out_channels, kernel, stride) of the three convolutions in Mnih et al. 2015 ("Nature DQN").
NATURE_CONVS: tuple[tuple[int, int, int], ...] = ((32, 8, 4), (64, 4, 2), (64, 3, 1))


def conv_output_size(size: int, kernel: int, stride: int) -> int:
    """Side length after an unpadded convolution: floor((size - kernel) / stride) + 1."""
    return (size - kernel) // stride + 1


def nature_conv_shapes(observation_space: gym.spaces.Box) -> list[tuple[int, int, int]]:
    """(channels, height, width) after each Nature convolution, from layer arithmetic alone.

    SB3's ``NatureCNN`` finds its flatten size by running a CPU forward pass on
    ``observation_space.sample()`` in ``__init__``, which has crashed Apple Silicon (MPS) set-ups.
    """
    _, height, width = observation_space.shape
    shapes = []
    for channels, kernel, stride in NATURE_CONVS:
        height = conv_output_size(height, kernel, stride)
        width = conv_output_size(width, kernel, stride)
        shapes.append((channels, height, width))
    if height < 1 or width < 1:
        raise ValueError(
            f"observation of shape {observation_space.shape} is too small for the Nature CNN "
            "(needs at least 36x36 pixels)"
        )
    return shapes


def nature_stack(
    observation_space: gym.spaces.Box, features_dim: int, layernorm: bool
) -> tuple[nn.Sequential, nn.Sequential]:
    """The Nature CNN's layers: the convolutions (flattened) and the fully connected layer.

    Each convolution and the linear layer is followed by ReLU, and with ``layernorm`` by a
    LayerNorm over its whole output first. The layers' positions (``cnn.0``, ``cnn.1``, ...)
    are the names saved models store their weights under.
    """
    shapes = nature_conv_shapes(observation_space)
    layers: list[nn.Module] = []
    in_channels = observation_space.shape[0]
    for (out_channels, kernel, stride), shape in zip(NATURE_CONVS, shapes, strict=True):
        layers.append(nn.Conv2d(in_channels, out_channels, kernel, stride))
        layers += [nn.LayerNorm(list(shape)), nn.ReLU()] if layernorm else [nn.ReLU()]
        in_channels = out_channels
    linear: list[nn.Module] = [nn.Linear(int(np.prod(shapes[-1])), features_dim)]
    linear += [nn.LayerNorm(features_dim), nn.ReLU()] if layernorm else [nn.ReLU()]
    return nn.Sequential(*layers, nn.Flatten()), nn.Sequential(*linear)


class SimpleNatureCNN(BaseFeaturesExtractor):
    """The Nature-DQN CNN, written to be safe on Apple Silicon (MPS).

    Same layers and parameter count as SB3's ``NatureCNN``, with two differences:

    * the flatten size comes from layer arithmetic (:func:`nature_conv_shapes`), not from a
      forward pass on a CPU sample;
    * inputs are made contiguous before the first convolution. Channel-first views produced
      by ``VecTransposeImage`` are non-contiguous, which MPS kernels have mishandled. Their
      dtype is kept: SB3 hands over float32, :mod:`simple_game.model.speed` bf16 under autocast.

    :param observation_space: channel-first image space, shape ``(channels, height, width)``.
    :param features_dim: size of the output feature vector.
    :param normalized_image: accepted so the signature matches SB3's ``NatureCNN``; unused (no
        image-space check is made).
    """

    layernorm: ClassVar[bool] = False  # LayerNorm before each ReLU (PQN's network below)

    def __init__(
        self,
        observation_space: gym.spaces.Box,
        features_dim: int = 512,
        normalized_image: bool = False,
    ) -> None:
        super().__init__(observation_space, features_dim)
        self.cnn, self.linear = nature_stack(observation_space, features_dim, self.layernorm)

    def forward(self, observations: th.Tensor) -> th.Tensor:
        return self.linear(self.cnn(observations.contiguous()))


class LayerNormNatureCNN(SimpleNatureCNN):
    """The Nature CNN with a LayerNorm after every layer: PQN's network (Gallici et al. 2024).

    Each convolution and the 512-unit layer is followed by LayerNorm, then ReLU. Without a
    target network or a replay buffer, Q-learning on its own freshly collected data can diverge.
    The paper (arXiv 2407.04811, its analysis of regularised TD) proves TD stable without a
    target network for LayerNorm *plus* L2 regularisation of the last layer, in the limit of
    infinitely wide layers; LayerNorm alone handles only the nonlinear part. PQN's Atari code
    (the paper's, CleanRL's and this one) uses no L2 term: there LayerNorm is an empirical
    stabiliser.

    Two details follow CleanRL's PQN, not the paper's code (purejaxql): each LayerNorm
    normalises a layer's whole output (channels x height x width), where purejaxql's flax
    LayerNorm on channels-last maps normalises the channels of each pixel separately; and
    weights start orthogonal with gain sqrt(2), where purejaxql uses he-normal.

    Parameters as :class:`SimpleNatureCNN`'s.
    """

    layernorm: ClassVar[bool] = True

    def __init__(
        self,
        observation_space: gym.spaces.Box,
        features_dim: int = 512,
        normalized_image: bool = False,
    ) -> None:
        super().__init__(observation_space, features_dim, normalized_image)
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.orthogonal_(module.weight, gain=np.sqrt(2))
                nn.init.zeros_(module.bias)
