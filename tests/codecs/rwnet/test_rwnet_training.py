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
        (rng.integers(0, 4096, (40, 70)).astype(np.uint16), 12, "a", "pydicom"),
        (rng.integers(0, 256, (200, 150)).astype(np.uint16), 8, "b", "phantom"),
    ]
    batch = train.PatchSampler(slices, 64, seed=1).batch(6)
    assert batch.shape == (6, 64, 64, 1) and batch.dtype == np.float32
    assert batch.min() >= -0.5 and batch.max() <= 0.5


def test_validation_split_holds_out_whole_sources() -> None:
    assert train.is_validation("jhu189.nii.gz")
    groups = [f"phantom_{i}" for i in range(48)]
    held = [g for g in groups if train.is_validation(g)]
    assert 0 < len(held) < len(groups)
