"""The ``env`` config as one typed object, read by both env backends.

SB3's pipeline and ale-py's C++ env name the same settings differently (``frame_skip`` vs
``frameskip``, ``screen_size`` vs ``img_height``); each backend maps these fields to its own
names where it builds its env, so every setting is read from the config in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simple_game.config.schema import EnvConf


@dataclass(frozen=True)
class EnvSettings:
    """How one vectorised env is built: the game, the emulator and the preprocessing."""

    env_id: str
    backend: str  # "ale_vector" (ale-py's C++ env) or "sb3" (SB3's Python wrappers)
    sticky_actions: float  # chance the emulator repeats the previous action each frame
    max_frames: int  # raw frames after which a game is cut off
    frame_skip: int  # frames per agent step (the max of the last two is kept)
    noop_max: int  # up to this many do-nothing actions at reset
    screen_size: int  # frames are resized to screen_size x screen_size grayscale
    terminal_on_life_loss: bool  # a lost life ends the episode (training only)
    clip_reward: bool  # rewards become their sign (training only)
    frame_stack: int  # observations stack this many frames

    @classmethod
    def from_config(cls, env: EnvConf, evaluation: bool) -> EnvSettings:
        """Settings of the ``env`` config group; evaluation always plays full games with
        real scores (no life-loss ends, no clipping)."""
        wrapper = env.wrapper
        return cls(
            env_id=env.id,
            backend=env.backend,
            sticky_actions=env.sticky_actions,
            max_frames=env.max_frames_per_episode,
            frame_skip=wrapper.frame_skip,
            noop_max=wrapper.noop_max,
            screen_size=wrapper.screen_size,
            terminal_on_life_loss=wrapper.terminal_on_life_loss and not evaluation,
            clip_reward=wrapper.clip_reward and not evaluation,
            frame_stack=env.frame_stack,
        )

    def emulator_kwargs(self) -> dict[str, Any]:
        """``gym.make`` arguments of the raw emulator, the same for v4 and v5 ids."""
        return {
            "frameskip": 1,  # AtariWrapper skips frames; the emulator must not skip again
            "repeat_action_probability": self.sticky_actions,
            "max_num_frames_per_episode": self.max_frames,
        }

    def atari_wrapper_kwargs(self) -> dict[str, Any]:
        """SB3 ``AtariWrapper`` arguments."""
        return {
            "noop_max": self.noop_max,
            "frame_skip": self.frame_skip,
            "screen_size": self.screen_size,
            "terminal_on_life_loss": self.terminal_on_life_loss,
            "clip_reward": self.clip_reward,
        }
