"""Fixtures of the batch tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from batch.mixed import make_mixed_folder


@pytest.fixture
def mixed_folder(tmp_path: Path) -> Path:
    """A fresh mixed export folder (see :mod:`batch.mixed`)."""
    return make_mixed_folder(tmp_path / "export")
