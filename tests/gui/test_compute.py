"""The Qt-free work behind the panes: the SVD pane's file is the core's file."""

from __future__ import annotations

import numpy as np
import pytest
from reference_images import REFERENCES, write_reference

from medcomp_gui import api
from medcomp_gui.gui import compute, display, report


@pytest.mark.parametrize(
    "ref",
    [r for r in REFERENCES if r.id in ("12bit", "multiframe", "ct_signed", "odd_511x257")],
    ids=lambda r: r.id,
)
def test_svd_session_writes_the_bytes_of_api_compress(tmp_path, ref):
    image = api.load_image(write_reference(ref, tmp_path))
    session = compute.SVDSession(image)
    for rank in (1, 3, session.max_rank // 8 + 1, min(session.max_rank, 48)):
        assert session.file_bytes(rank) == api.compress(image, "svd", rank=rank), rank


def test_svd_preview_is_the_truncation_from_any_start(tmp_path):
    image = api.load_image(write_reference(REFERENCES[1], tmp_path))
    session = compute.SVDSession(image)
    preview = compute.SVDPreview(image, session.preview_factors())
    f = session.factors[0]
    for rank in (5, 6, 70, 2, 80, 40):
        exact = (f.u[:, :rank] * f.s[:rank]) @ f.vt[:rank]
        expected = np.clip(np.rint(exact), 0, image.peak)
        assert np.abs(preview.preview(0, rank).astype(float) - expected).max() <= 1


def test_window_arithmetic_and_readout(tmp_path):
    ct = api.load_image(write_reference(REFERENCES[5], tmp_path))
    ct.rescale_intercept = -1024.0
    assert display.stored_levels(ct, 40, 80) == pytest.approx((1024.0, 1104.0))
    assert display.readout(ct, 2, 3, 1064.0) == "x 3  y 2  stored 1064 = 40 HU"
    assert display.grey_lut(True)[0, 0] == 255
    # cornerstone's WindowLevelTool: right widens, down raises the centre (darker)
    assert display.dragged_window(40, 80, dx=10, dy=0, multiplier=4) == (40, 120)
    assert display.dragged_window(40, 80, dx=0, dy=-10, multiplier=4) == (0, 80)
    assert display.drag_multiplier(ct, ct.frames[0]) == max(4, round(np.ptp(ct.pixels) / 1024))


def test_report_csv_round_trip():
    rows = [("Compressed bytes", "123"), ("Note", "a, b")]
    assert report.as_csv(rows) == 'field,value\nCompressed bytes,123\nNote,"a, b"\n'
    assert report.compressed_bytes(rows) == 123
