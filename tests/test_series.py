"""Files and folders as the viewer lists them: stacks of slices in anatomical order."""

from __future__ import annotations

import numpy as np
from reference_images import REFERENCES, write_reference
from series_files import write_series

from medcomp_gui import series


def test_a_folder_of_slices_is_one_stack_in_position_order(tmp_path):
    slices = write_series(tmp_path / "ct", 20)
    other = write_reference(REFERENCES[2], tmp_path)  # a single MR file beside the folder
    entries = series.scan([tmp_path])
    stacks = [e for e in entries if e.is_stack]
    assert len(stacks) == 1 and len(entries) == 2
    stack = stacks[0]
    assert len(stack.paths) == 20 and stack.series == "CT Se 3 Chest"
    assert "Test, Phantom" in stack.study
    image = series.load_entry(stack)
    assert image.pixels.shape == (20, 32, 28) and image.modality == "CT"
    assert [int(f[0, 0]) for f in image.frames] == list(range(20))
    np.testing.assert_array_equal(image.pixels, np.stack(slices))
    single = next(e for e in entries if not e.is_stack)
    assert single.paths == (other,) and single.label == other.name


def test_without_positions_the_instance_number_orders_the_stack(tmp_path):
    write_series(tmp_path, 6, positions=False, seed=9)
    (entry,) = series.scan([tmp_path])
    image = series.load_entry(entry)
    assert [int(f[0, 0]) for f in image.frames] == list(range(6))


def test_same_named_files_carry_their_folder_and_odd_files_stay_single(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = write_reference(REFERENCES[2], tmp_path / "a")
    b = write_reference(REFERENCES[2], tmp_path / "b")
    (tmp_path / "notes").write_bytes(b"not dicom")
    entries = series.scan([tmp_path])
    labels = {e.paths[0]: e.label for e in entries}
    assert labels[a] == "a/12bit.dcm" and labels[b] == "b/12bit.dcm"
    assert labels[tmp_path / "notes"] == "notes"
    assert next(e for e in entries if e.paths[0] == tmp_path / "notes").study == "Other files"
