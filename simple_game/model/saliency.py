"""Where the agent looks: perturbation saliency (Greydanus et al. 2018, "Visualizing and
Understanding Atari Agents", ICML).

Blur a small patch of what the network sees and measure how much its output changes. A patch
whose blurring moves the Q-values (or the policy) a lot holds something the agent uses; a patch
it ignores changes nothing. Following the paper: the patch is a Gaussian mask (sigma 5 pixels
of the 84x84 observation) through which the frames are replaced by a blurred copy (sigma 3);
the change is half the squared distance between the outputs, 0.5 ||L(I) - L(I')||^2; a patch
is centred every 5 pixels (17 x 17 = 289 perturbed copies per frame, sent through the network
in batches of ``BATCH``), and the map is interpolated between the centres. Adapted here: every
stacked frame is blurred at once (the paper's agent saw one frame at a time, with an LSTM),
and L is the Q-values of a Q-learner or the log-probabilities of an actor-critic's policy
(the paper used the policy's logits, before the softmax).

What it cannot prove: a bright patch says the output *depends* on that region under this
particular perturbation, not *why*, nor that the agent "attends" to it as a person would;
blurring also creates inputs the network never saw in training (Greydanus et al. discuss this;
Adebayo et al. 2018, "Sanity Checks for Saliency Maps", and Atrey et al. 2020, "Exploratory, not
explanatory", show how such maps mislead when read as explanations). Read it as a hypothesis
to test, for instance by watching what the agent does when that region changes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from stable_baselines3.common.base_class import BaseAlgorithm

MASK_SIGMA = 5.0  # pixels of the 84x84 observation: the size of the blurred patch
BLUR_SIGMA = 3.0  # how strongly the patch is blurred
STRIDE = 5  # a patch centred every STRIDE pixels
BATCH = 64  # perturbed observations per forward pass

Score = Callable[[np.ndarray], np.ndarray]  # a batch of observations -> (batch, outputs)


def centres(size: int, stride: int = STRIDE) -> np.ndarray:
    """The patch centres along one side: 0, 5, ..., 80 for 84 pixels."""
    return np.arange(0, size, stride)


@cache
def masks(height: int, width: int, stride: int = STRIDE, sigma: float = MASK_SIGMA) -> np.ndarray:
    """One Gaussian mask per patch centre, (patches, height, width), peak 1."""
    ys, xs = centres(height, stride), centres(width, stride)
    rows = np.exp(-((np.arange(height)[None, :] - ys[:, None]) ** 2) / (2 * sigma**2))
    cols = np.exp(-((np.arange(width)[None, :] - xs[:, None]) ** 2) / (2 * sigma**2))
    return np.einsum("ih,jw->ijhw", rows, cols).reshape(len(ys) * len(xs), height, width)


def perturbed(observation: np.ndarray, stride: int = STRIDE) -> np.ndarray:
    """Every perturbed copy of one observation ``(frames, height, width)``: the frames blurred
    through each patch's mask, (patches, frames, height, width) float32 in 0-255."""
    from scipy.ndimage import gaussian_filter

    frames = observation.astype(np.float32)
    blurred = gaussian_filter(frames, sigma=(0, BLUR_SIGMA, BLUR_SIGMA))
    m = masks(frames.shape[1], frames.shape[2], stride)[:, None].astype(np.float32)
    return frames[None] * (1 - m) + blurred[None] * m


def saliency(observation: np.ndarray, score: Score, stride: int = STRIDE) -> np.ndarray:
    """How much blurring each region changes ``score``'s outputs: a (height, width) map >= 0
    of one observation ``(frames, height, width)``."""
    base = score(observation[None].astype(np.float32))[0]
    copies = perturbed(observation, stride)
    change = np.concatenate(
        [0.5 * ((score(copies[i : i + BATCH]) - base) ** 2).sum(axis=1)
         for i in range(0, len(copies), BATCH)]
    )  # fmt: skip
    height, width = observation.shape[1:]
    grid = change.reshape(len(centres(height, stride)), len(centres(width, stride)))
    return _upsample(grid, height, width, stride)


def _upsample(grid: np.ndarray, height: int, width: int, stride: int) -> np.ndarray:
    """The map between the patch centres, by linear interpolation along each axis."""
    ys, xs = centres(height, stride), centres(width, stride)
    rows = np.stack([np.interp(np.arange(width), xs, row) for row in grid])
    return np.stack([np.interp(np.arange(height), ys, col) for col in rows.T], axis=1)


def network_score(model: BaseAlgorithm) -> Score:
    """What saliency measures for ``model``: Q-values, or the policy's log-probabilities."""
    from simple_game.model.outputs import network_outputs

    def score(batch: np.ndarray) -> np.ndarray:
        out = network_outputs(model, batch)
        if out.q_values is not None:
            return out.q_values
        assert out.probs is not None
        return np.log(np.maximum(out.probs, 1e-12))

    return score


def patches(height: int = 84, width: int = 84, stride: int = STRIDE) -> int:
    """Perturbed copies per frame: the observations the network scores for one map."""
    return len(centres(height, stride)) * len(centres(width, stride))
