"""RWNet training helpers that need no TensorFlow: data selection, arguments, sampling."""

from __future__ import annotations

import argparse
import os

import numpy as np

from medcomp_gui.codecs.rwnet import data, train


def test_wg04_images_are_never_training_data() -> None:
    assert data.is_wg04("/x/MR2_UNCR.dcm") and data.is_wg04("693_J2KR.dcm")
    assert not data.is_wg04("/x/MR2/IM000001") and not data.is_wg04("CT_small.dcm")
    names = [os.path.basename(f) for f in data.dicom_files()]
    assert names and not [n for n in names if n.startswith(data.WG04_PREFIXES)]


def test_arguments_have_safe_defaults() -> None:
    parser = argparse.ArgumentParser()
    train.add_arguments(parser)
    args = parser.parse_args([])
    assert args.threads == 1 and args.patch % 16 == 0 and not args.resume
    assert parser.parse_args(["--resume", "--lr", "1e-4"]).lr == 1e-4


def test_patch_sampler_normalises_and_augments() -> None:
    rng = np.random.default_rng(0)
    slices = [
        (rng.integers(0, 4096, (40, 70)).astype(np.uint16), 12, "a", "CT"),
        (rng.integers(0, 256, (200, 150)).astype(np.uint16), 8, "b", "US"),
    ]
    batch = train.PatchSampler(slices, 64, seed=1).batch(6)
    assert batch.shape == (6, 64, 64, 1) and batch.dtype == np.float32
    assert batch.min() >= -0.5 and batch.max() <= 0.5


def test_fitting_frames_take_every_group_in_turn() -> None:
    rng = np.random.default_rng(0)
    slices = [
        (rng.integers(0, 4096, (64, 64)).astype(np.uint16), 12, f"s{i}", "MR") for i in range(9)
    ]
    slices.append((rng.integers(0, 256, (48, 50)).astype(np.uint16), 8, "u", "US"))
    frames = train.fitting_frames(slices, max_pixels=3 * 64 * 64)
    shapes = [f.shape for f in frames]
    assert (48, 64) in shapes[:2]  # the one US slice comes in the first round
    assert all(f.shape[0] % 16 == 0 and f.shape[1] % 16 == 0 for f in frames)
    assert all(-0.5 <= f.min() and f.max() <= 0.5 for f in frames)
    assert len(frames) == 4  # stops once the budget is passed
