"""The default operating point: the search, and the panes at the guideline."""

from __future__ import annotations

import math

import pytest
from reference_images import Reference, write_reference

from medcomp_gui import api
from medcomp_gui.gui.operating_point import smallest_meeting
from medcomp_gui.guidance import guideline_ratio

from .conftest import wait_settled


@pytest.mark.parametrize("need", [0.5, 3.0, 17.2, 63.9, 200.0, -5.0])
@pytest.mark.parametrize("start", [0, 31, 63])
def test_search_finds_the_smallest_index_and_measures_few(need, start):
    calls = []

    def score(i):
        calls.append(i)
        return 2.0 * math.log(i + 1) + 0.3 * i  # grows with i, not linearly

    values = [2.0 * math.log(i + 1) + 0.3 * i for i in range(64)]
    want = next((i for i, v in enumerate(values) if v >= need), 63)
    assert smallest_meeting(64, score, need, start, position=lambda i: math.log(i + 1)) == want
    assert len(calls) == len(set(calls)) and len(calls) <= 9


# A CT, an MR and a CR image large enough for the guideline to bind mid-ladder.
SAMPLES = [
    Reference("ct_256", 12, signed=True, modality="CT", shape=(256, 256)),
    Reference("mr_256", 12, modality="MR", shape=(256, 256)),
    Reference("cr_256", 15, modality="CR", shape=(256, 256)),
]


@pytest.mark.parametrize("ref", SAMPLES, ids=lambda r: r.modality)
def test_panes_open_at_the_highest_compression_within_the_guideline(
    qtbot, real_rwnet, window, tmp_path, ref
):
    window.add_paths([write_reference(ref, tmp_path)])
    wait_settled(qtbot, window)
    image, pipeline = window.pipeline.image, window.pipeline
    limit = guideline_ratio(ref.modality)
    # SVD: the file at the rank shown is within the guideline, one rank less is not.
    rank = pipeline.rank
    assert window.controls.rank() == rank
    data = api.compress(image, "svd", rank=rank)
    assert pipeline.measured["svd"].quality.bytes == len(data)
    assert image.original_bytes / len(data) <= limit
    if rank > 1:
        assert image.original_bytes / len(api.compress(image, "svd", rank=rank - 1)) > limit
    # RWNet: the same with its quality levels.
    quality = pipeline.rwnet_quality
    assert window.controls.rwnet_combo.currentData() == quality
    data = api.compress(image, "rwnet", quality=quality)
    assert pipeline.measured["rwnet"].quality.bytes == len(data)
    assert image.original_bytes / len(data) <= limit
    if quality > 1:
        assert image.original_bytes / len(api.compress(image, "rwnet", quality=quality - 1)) > limit
    for name in ("svd", "rwnet"):
        assert "ABOVE" not in window.panes[name].caption.text()
        assert f"≤{limit:g}:1" in window.panes[name].info[-1]


def test_a_ct_head_gets_the_stricter_guideline(tmp_path):
    from reference_images import make_dataset

    from medcomp_gui.gui.operating_point import target_for

    ds = make_dataset(Reference("ct", 12, signed=True, modality="CT"))
    ds.BodyPartExamined = "HEAD"
    ds.save_as(tmp_path / "head.dcm", enforce_file_format=True)
    assert target_for(api.load_image(tmp_path / "head.dcm")).value == 12
    ds.BodyPartExamined = "CHEST"
    ds.save_as(tmp_path / "chest.dcm", enforce_file_format=True)
    assert target_for(api.load_image(tmp_path / "chest.dcm")).value == 15


@pytest.mark.parametrize("ref", SAMPLES, ids=lambda r: r.modality)
def test_rwnet_search_codes_few_levels_and_finds_the_guideline_level(
    real_rwnet, tmp_path, monkeypatch, ref
):
    """The search steps along the encoder's quick estimates: the level it returns is the
    lowest within the guideline (every level coded to check), in at most 3 codings."""
    from medcomp_gui.gui import operating_point

    image = api.load_image(write_reference(ref, tmp_path))
    target = operating_point.target_for(image)
    qualities = list(range(1, 12))
    sizes = [len(api.compress(image, "rwnet", quality=q)) for q in qualities]
    want = next(
        (
            q
            for q, n in zip(qualities, sizes, strict=True)
            if target.met(image.original_bytes / n, 0)
        ),
        11,
    )
    coded = []
    compress = api.compress

    def counted(*args, **params):
        coded.append(params["quality"])
        return compress(*args, **params)

    monkeypatch.setattr(api, "compress", counted)
    measured = operating_point.rwnet_default(image, image, target, qualities, 4)
    assert measured.quality.bytes == sizes[want - 1] and f"quality {want}" in measured.settings
    assert len(coded) == len(set(coded)) <= 3, coded
