"""A mixed folder as a PACS export holds one: images of several kinds (the shared
reference table, pydicom's own test files, a generated PNG), non-images (an RT plan, an
SR, a DICOMDIR, a text file), a damaged file and two inputs whose outputs would collide."""

from __future__ import annotations

import shutil
from pathlib import Path

import imagecodecs
import numpy as np
import pytest
from pydicom.data import get_testdata_file
from reference_images import REFERENCES, write_reference

#: name in the folder -> expected status with a lossless .mcz batch
EXPECTED = {
    "mr/12bit.dcm": "ok",
    "mr/IM0001": "ok",  # DICOM without a suffix
    "ct/ct_signed.dcm": "ok",
    "cr/15bit.dcm": "ok",
    "multiframe.dcm": "ok",
    "scan.dcm": "ok",  # collides with scan.png
    "scan.png": "ok",
    "MR_small_bigendian.dcm": None,  # ok once big-endian reading lands, else failed
    "rtplan.dcm": "skipped",
    "sr.dcm": "skipped",
    "DICOMDIR": "skipped",
    "notes.txt": "skipped",
    "broken.dcm": "failed",  # an MR image cut short before its pixel data
}


def testdata(name: str) -> Path:
    path = get_testdata_file(name)
    if path is None:
        pytest.fail(f"pydicom test file {name} is missing")
    return Path(path)


def make_mixed_folder(root: Path) -> Path:
    refs = {r.id: r for r in REFERENCES}
    for folder in ("mr", "ct", "cr"):
        (root / folder).mkdir(parents=True)
    made = root / ".refs"
    made.mkdir()
    for ref_id in ("12bit", "ct_signed", "15bit", "multiframe", "8bit"):
        write_reference(refs[ref_id], made)
    shutil.copy(made / "12bit.dcm", root / "mr" / "12bit.dcm")
    shutil.copy(made / "12bit.dcm", root / "mr" / "IM0001")
    shutil.copy(made / "ct_signed.dcm", root / "ct" / "ct_signed.dcm")
    shutil.copy(made / "15bit.dcm", root / "cr" / "15bit.dcm")
    shutil.copy(made / "multiframe.dcm", root / "multiframe.dcm")
    shutil.copy(made / "8bit.dcm", root / "scan.dcm")
    (root / "broken.dcm").write_bytes((made / "12bit.dcm").read_bytes()[:700])
    shutil.rmtree(made)
    y, x = np.mgrid[0:48, 0:40]
    (root / "scan.png").write_bytes(imagecodecs.png_encode((x * 3 + y * 2).astype(np.uint8)))
    shutil.copy(testdata("MR_small_bigendian.dcm"), root / "MR_small_bigendian.dcm")
    shutil.copy(testdata("rtplan.dcm"), root / "rtplan.dcm")
    shutil.copy(testdata("test-SR.dcm"), root / "sr.dcm")
    shutil.copy(testdata("DICOMDIR"), root / "DICOMDIR")
    (root / "notes.txt").write_text('=HYPERLINK("x") not an image\n')
    return root


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
