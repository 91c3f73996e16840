"""Shared fixtures: the reference image table, loaded through the real DICOM reader."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from reference_images import REFERENCES, Reference, write_reference  # noqa: E402


@pytest.fixture(scope="session")
def reference_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("references")
    for ref in REFERENCES:
        write_reference(ref, directory)
    return directory


@pytest.fixture(params=REFERENCES, ids=lambda r: r.id)
def reference(request: pytest.FixtureRequest, reference_dir: Path) -> tuple[Reference, Path]:
    ref: Reference = request.param
    return ref, reference_dir / f"{ref.id}.dcm"


@pytest.fixture(scope="session")
def mr2_path() -> Path:
    """The WG04 MR2 original (evaluation only; pydicom-data)."""
    from pydicom.data import get_testdata_file

    path = get_testdata_file("MR2_UNCR.dcm")
    if path is None:
        pytest.fail("pydicom-data is not installed: the WG04 image MR2_UNCR.dcm is missing")
    return Path(path)
