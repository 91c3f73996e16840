"""Files shipped in the repository's resources/ folder."""

from __future__ import annotations

import sys
from pathlib import Path

from medcomp_gui.errors import MedcompError


def resources_dir() -> Path:
    """resources/ beside the package (source checkout, editable install or a PyInstaller
    bundle, which puts it under sys._MEIPASS)."""
    bundle = getattr(sys, "_MEIPASS", None)
    candidates = [Path(bundle) / "resources"] if bundle else []
    candidates.append(Path(__file__).resolve().parent.parent / "resources")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise MedcompError("the resources/ folder is missing from this installation")


def sample_image_path() -> Path:
    """The bundled sample image (a 12-bit MR slice)."""
    return resources_dir() / "sample_mr.dcm"
