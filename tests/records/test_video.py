"""Videos: mp4 files of full games that decode, a small GIF, and clips recorded while training."""

from __future__ import annotations

from pathlib import Path

import imageio.v2 as imageio
import pytest
from moviepy import VideoFileClip
from PIL import Image

from simple_game.evaluate import evaluate
from simple_game.records.video import TRAIN_CLIP_SECONDS
from tests.conftest import eval_cfg

ATARI_SCREEN = (210, 160, 3)  # height, width, RGB


def decoded_frames(path: Path) -> list:
    with imageio.get_reader(path, "ffmpeg") as reader:
        return [frame for frame in reader]  # list() would ask len(): infinite for ffmpeg


def test_mp4_and_gif_of_a_full_game(tiny_run: Path) -> None:
    overrides = ["checkpoint=final", "episodes=1", "video=true", "gif=true"]
    result = evaluate(eval_cfg(f"run={tiny_run}", *overrides))

    (video,) = result["videos"]
    mp4, gif = tiny_run / "videos" / "final_ep01.mp4", tiny_run / "videos" / "final_ep01.gif"
    assert video["files"] == [str(mp4), str(gif)]

    frames = decoded_frames(mp4)
    assert frames[0].shape == ATARI_SCREEN  # the real RGB screen, not the 84x84 observation
    # One frame per agent step, except the last one (the env resets at game over).
    assert len(frames) == video["frames"] == result["episode_steps"][0] - 1
    with VideoFileClip(str(mp4)) as clip:  # moviepy reads it too, at real-time speed
        assert clip.fps == 15 and clip.duration == pytest.approx(len(frames) / 15, abs=0.2)

    with Image.open(gif) as image:
        assert image.size == (160, 210)  # full size: at half size Pong's ball was one pixel
        assert image.n_frames > 1
    assert gif.stat().st_size < 1_000_000  # small enough to embed in Markdown


def test_training_records_a_clip_at_each_evaluation(tiny_run: Path) -> None:
    clips = sorted(p.name for p in (tiny_run / "videos").glob("train_*.mp4"))
    assert clips == ["train_256_steps.mp4"]  # train.eval_freq=256 of 256 steps
    frames = decoded_frames(tiny_run / "videos" / clips[0])
    assert frames[0].shape == ATARI_SCREEN
    assert 1 < len(frames) <= TRAIN_CLIP_SECONDS * 15 + 1
