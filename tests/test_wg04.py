"""Acceptance checks on the WG04 image MR2 (evaluation only; pydicom-data)."""

from __future__ import annotations

import math

import numpy as np
import pydicom
import pytest

from medcomp_gui import metrics
from medcomp_gui.cli import main


def test_mr2_jpeg2000_lossless_dcm_is_exact_and_as_small_as_openjpeg(mr2_path, tmp_path, capsys):
    from openjpeg.utils import encode_array

    out = tmp_path / "mr2.dcm"
    assert (
        main(["-q", "encode", str(mr2_path), "-c", "jpeg2000", "--lossless", "-o", str(out)]) == 0
    )
    original = pydicom.dcmread(mr2_path)
    written = pydicom.dcmread(out)
    np.testing.assert_array_equal(written.pixel_array, original.pixel_array)
    assert written.SOPInstanceUID == original.SOPInstanceUID
    reference = len(encode_array(original.pixel_array, bits_stored=int(original.BitsStored)))
    from pydicom.encaps import generate_frames

    codestream = b"".join(generate_frames(written.PixelData, number_of_frames=1))
    assert abs(len(codestream) - reference) / reference < 0.02


def test_mr2_svd_size_grows_and_psnr_matches_decoded_npy(mr2_path, tmp_path, capsys):
    import json

    sizes = []
    for rank in (4, 16, 64):
        mcz = tmp_path / f"r{rank}.mcz"
        assert (
            main(
                [
                    "-q",
                    "encode",
                    str(mr2_path),
                    "-c",
                    "svd",
                    "--rank",
                    str(rank),
                    "-o",
                    str(mcz),
                    "--json",
                ]
            )
            == 0
        )
        report = json.loads(capsys.readouterr().out)
        npy = tmp_path / f"r{rank}.npy"
        assert main(["decode", str(mcz), "-o", str(npy)]) == 0
        capsys.readouterr()
        decoded = np.load(npy).astype(np.float64)
        original = pydicom.dcmread(mr2_path).pixel_array.astype(np.float64)
        independent = 10 * math.log10(4095**2 / np.mean((original - decoded) ** 2))
        assert report["psnr"] == pytest.approx(independent, abs=1e-9)
        assert report["bytes"] == mcz.stat().st_size
        sizes.append(report["bytes"])
    assert sizes[0] < sizes[1] < sizes[2]
    assert metrics.bpp(sizes[0], 1024 * 1024) < 0.1
