"""benchmarks/reference.py's BD-rate where RWNet codes losslessly (``bd_with_lossless``)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import reference  # noqa: E402

PIXELS = 65536


def curve(pairs, lossless_bytes=None):
    points = [{"bytes": b, "bpp": b * 8 / PIXELS, "psnr": p} for b, p in pairs]
    if lossless_bytes is not None:
        points.append(
            {"bytes": lossless_bytes, "bpp": lossless_bytes * 8 / PIXELS, "psnr": math.inf}
        )
        points[-1]["lossless"] = True
    return points


ANCHOR = curve([(400 * 1.25**i, 36 + 2.0 * i) for i in range(22)])  # 36 .. 78 dB


def test_a_lossless_file_above_the_curves_changes_nothing():
    same = curve([(p["bytes"], p["psnr"]) for p in ANCHOR], lossless_bytes=10**9)
    assert reference.bd(ANCHOR, same) == pytest.approx(0.0, abs=1e-6)
    cheaper = curve([(p["bytes"] * 0.8, p["psnr"]) for p in ANCHOR], lossless_bytes=10**9)
    assert reference.bd(ANCHOR, cheaper) == pytest.approx(-20.0, abs=1e-3)
    plain = curve([(p["bytes"] * 0.8, p["psnr"]) for p in ANCHOR])
    assert reference.bd(ANCHOR, plain) == pytest.approx(-20.0, abs=1e-6)


def test_a_curve_that_is_lossless_across_the_range_costs_its_lossless_file():
    """nibabel's sawtooth: one lossy point far below the range, then lossless files of
    676 bytes; JPEG 2000's own lossless codestream (618 bytes) caps the anchor."""
    test = curve([(85, 10.9)], lossless_bytes=676)
    got = reference.bd(ANCHOR, test, {"jpeg2000": 618, "jpegls": 9557, "jpegxl": 1})
    grid = np.linspace(36, 78, 4001)
    anchor = np.minimum(
        np.interp(
            grid, [36 + 2.0 * i for i in range(22)], [math.log(400 * 1.25**i) for i in range(22)]
        ),
        math.log(618),
    )
    want = (math.exp(np.mean(math.log(676) - anchor)) - 1) * 100
    assert got == pytest.approx(want, abs=0.5)  # the anchor's cubic against this linear one
    assert got > 0  # it loses: a JPEG 2000 codestream and a container header


def test_coding_losslessly_with_another_codec_gains_nothing():
    """The anchor may use the test's own lossless file: a test that is lossless below
    the anchor's lossy bytes everywhere ties it, it does not win."""
    test = curve([(300, 20.0)], lossless_bytes=350)
    assert reference.bd(ANCHOR, test, {}) == pytest.approx(0.0, abs=1e-9)
    # and where the anchor's lossy points are cheaper, the test loses there
    assert reference.bd(ANCHOR, curve([(300, 20.0)], lossless_bytes=1000), {}) > 0
