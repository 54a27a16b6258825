"""Videos of an agent playing: mp4 files of whole games, small GIFs, clips during training.

Frames come from the emulator's own RGB screen (an env made with ``render_mode="rgb_array"``),
not from the 84x84 grayscale observations the network sees, so a video shows the real game.
One frame is kept per agent step: with the usual frame skip of 4 that is 15 frames per
second of a 60 Hz console, so videos play in real time.

mp4 files are streamed to ffmpeg (moviepy's writer, with the ffmpeg binary that
imageio-ffmpeg ships), so a 30-minute game never has to fit in memory. No display needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from stable_baselines3.common.type_aliases import PolicyPredictor
    from stable_baselines3.common.vec_env import VecEnv

ATARI_HZ = 60  # frames per second of the Atari 2600
# GIFs are for embedding in Markdown: every 2nd agent step at full size (the 210x160 screen:
# at half size Pong's ball was a single pixel), at most 40 seconds of play.
GIF_STEP_STRIDE = 2
GIF_MAX_SECONDS = 40
# Clips recorded during training stop after this many seconds of play (or at game over).
TRAIN_CLIP_SECONDS = 20


def video_fps(frame_skip: int) -> float:
    """Frames per second that make a one-frame-per-agent-step video play in real time, for
    an agent that acts every ``frame_skip`` frames (``env.wrapper.frame_skip``)."""
    return ATARI_HZ / frame_skip


class GameRecorder:
    """Writes the frames of one game to ``<stem>.mp4`` and, if asked, ``<stem>.gif``."""

    def __init__(self, stem: Path, fps: float, gif: bool = False, preset: str = "medium") -> None:
        self.stem = stem
        self.fps = fps
        self.preset = (
            preset  # x264's speed/size trade-off: "ultrafast" encodes a big frame 3x faster
        )
        self.gif_frames: list[np.ndarray] | None = [] if gif else None
        self.gif_max_frames = int(GIF_MAX_SECONDS * fps / GIF_STEP_STRIDE)
        self.frames = 0
        self._writer: Any = None  # opened on the first frame, when the screen size is known

    def add(self, frame: np.ndarray) -> None:
        if self._writer is None:
            from moviepy.video.io.ffmpeg_writer import FFMPEG_VideoWriter

            self.stem.parent.mkdir(parents=True, exist_ok=True)
            height, width = frame.shape[:2]
            # libx264 + yuv420p (moviepy's default for even sizes) plays everywhere.
            self._writer = FFMPEG_VideoWriter(
                str(self.stem.with_suffix(".mp4")), (width, height), self.fps, codec="libx264",
                preset=self.preset,
            )  # fmt: skip
        self._writer.write_frame(frame)
        if (
            self.gif_frames is not None
            and self.frames % GIF_STEP_STRIDE == 0
            and len(self.gif_frames) < self.gif_max_frames
        ):
            self.gif_frames.append(frame.copy())
        self.frames += 1

    def close(self) -> list[Path]:
        """Finish the files; returns the paths written (none if no frame was added)."""
        if self._writer is None:
            return []
        self._writer.close()
        paths = [self.stem.with_suffix(".mp4")]
        if self.gif_frames:
            from PIL import Image

            images = [Image.fromarray(f) for f in self.gif_frames]
            images[0].save(
                self.stem.with_suffix(".gif"),
                save_all=True,
                append_images=images[1:],
                duration=round(1000 * GIF_STEP_STRIDE / self.fps),  # ms per GIF frame
                loop=0,
                optimize=True,
            )
            paths.append(self.stem.with_suffix(".gif"))
        return paths


def screen(venv: VecEnv) -> np.ndarray:
    """The RGB screen (210x160x3) of the first game of a ``render_mode="rgb_array"`` env."""
    frame = venv.get_images()[0]
    assert frame is not None, "make the env with render_mode='rgb_array' to record it"
    return frame


def record_clip(
    model: PolicyPredictor,
    venv: VecEnv,
    stem: Path,
    fps: float,
    deterministic: bool,
    max_steps: int,
) -> list[Path]:
    """Play one game (or its first ``max_steps`` agent steps) and record it.

    ``venv`` is a one-game evaluation env made with ``render_mode="rgb_array"``.
    """
    recorder = GameRecorder(stem, fps)
    obs = venv.reset()
    recorder.add(screen(venv))
    for _ in range(max_steps):
        action, _ = model.predict(obs, deterministic=deterministic)
        obs, _, dones, _ = venv.step(action)
        if dones[0]:
            break  # the env has already reset: its screen shows the next game
        recorder.add(screen(venv))
    return recorder.close()
