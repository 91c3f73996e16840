"""The check of Qt's system libraries before the viewer starts Qt (`make run`)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from medcomp_gui.gui import app, system_libs

LDD_OUTPUT = """\
\tlibQt6XcbQpa.so.6 => /x/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f)
\tlibxcb-cursor.so.0 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb-cursor.so.0 => not found
\tlibfoo-unknown.so.3 => not found
\tlibX11.so.6 => /lib/x86_64-linux-gnu/libX11.so.6 (0x00007f)
"""


@pytest.fixture
def ldd_says(monkeypatch, tmp_path):
    plugin = tmp_path / "libqxcb.so"
    plugin.write_bytes(b"")
    monkeypatch.setattr(system_libs, "xcb_plugin", lambda: plugin)
    monkeypatch.setattr(system_libs.shutil, "which", lambda name: "/usr/bin/ldd")
    monkeypatch.setattr(system_libs.sys, "platform", "linux")

    def say(text):
        monkeypatch.setattr(
            subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 0, text, "")
        )

    return say


def test_missing_libraries_are_named_with_their_packages(ldd_says, monkeypatch, capsys):
    ldd_says(LDD_OUTPUT)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    assert system_libs.missing_libraries() == [
        "libfoo-unknown.so.3",
        "libxcb-cursor.so.0",
        "libxcb-icccm.so.4",
    ]
    assert system_libs.main() == 1
    err = capsys.readouterr().err
    assert "sudo apt-get install libxcb-cursor0 libxcb-icccm4;" in err
    assert "libfoo-unknown.so.3 with `apt-file search NAME`" in err


def test_the_viewer_stops_before_qt_when_a_library_is_missing(ldd_says, monkeypatch, capsys):
    ldd_says(LDD_OUTPUT)
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    started = []
    monkeypatch.setattr(app, "open_window", lambda *a: started.append(a))
    assert app.main(["x.dcm"]) == 1
    assert not started and "libxcb-cursor0" in capsys.readouterr().err


def test_nothing_missing_or_offscreen_passes(ldd_says, monkeypatch):
    ldd_says(LDD_OUTPUT.replace("not found", "/lib/x.so (0x1)"))
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    assert system_libs.check() is None
    ldd_says(LDD_OUTPUT)
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")  # no xcb plugin loaded
    assert system_libs.check() is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ldd and xcb: Linux only")
def test_the_real_plugin_is_found_and_asked():
    plugin = system_libs.xcb_plugin()
    assert plugin is not None and plugin.name == "libqxcb.so"
    assert isinstance(system_libs.missing_libraries(plugin), list)
