"""The licence notices: the installed libraries' licences, and the bundle's index of them."""

from __future__ import annotations

import importlib.metadata as metadata
import sys

from medcomp_gui import licences


def test_runtime_distributions_follow_the_requirements_without_extras():
    names = {d.metadata["Name"].lower().replace("_", "-") for d in licences.runtime_distributions()}
    assert {"medcomp-gui", "numpy", "pydicom", "pylibjpeg-libjpeg", "pyside6-essentials"} <= names
    assert "tensorflow" not in names and "pytest" not in names  # extras: train, test


def test_bundle_index_is_what_the_installed_app_reads(tmp_path, monkeypatch):
    dists = [metadata.distribution(n) for n in ("numpy", "pylibjpeg-libjpeg")]
    gpl = tmp_path / "GPL-3.0.txt"
    gpl.write_text("GNU GENERAL PUBLIC LICENSE\nVersion 3")
    written = licences.write_notices(tmp_path / "bundle" / "licenses", dists, {"GPL": gpl})
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "bundle"), raising=False)
    read = licences.licences()
    assert [(e.name, e.version, e.licence) for e in read] == [
        (e.name, e.version, e.licence) for e in written
    ]
    libjpeg = next(e for e in read if e.name == "pylibjpeg-libjpeg")
    assert "GPL" in libjpeg.licence and "GNU GENERAL PUBLIC LICENSE" in libjpeg.text().upper()
    assert read[-1].name == "GPL" and "Version 3" in read[-1].text()
    assert all(file.startswith(str(tmp_path / "bundle")) for e in read for file in e.files)
