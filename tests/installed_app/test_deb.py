"""The installed app, as a workstation administrator gets it: `make package` builds the
.deb, apt-get installs it (resolving its Depends), the installed programs run, the desktop
learns its file types, and removing the package leaves nothing behind.

Root and dpkg are needed (the package is installed for real); CI runs as root on a
Debian-like machine and sets MEDCOMP_PACKAGE_TEST=1, which turns a missing requirement
into a failure instead of a skip. MEDCOMP_DEB=path/to.deb reuses a built package.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from medcomp_gui import __version__, api
from medcomp_gui.codecs import codec_names, get_codec

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PREFIX = Path("/opt/medcomp")
#: What the package puts outside /opt/medcomp (checked present, then gone after removal).
DESKTOP_FILES = [
    Path("/usr/bin/medcomp"),
    Path("/usr/bin/medcomp-gui"),
    Path("/usr/share/applications/medcomp.desktop"),
    Path("/usr/share/mime/packages/medcomp.xml"),
    Path("/usr/share/icons/hicolor/48x48/apps/medcomp.png"),
    Path("/usr/share/icons/hicolor/scalable/apps/medcomp.svg"),
    Path("/usr/share/doc/medcomp/copyright"),
]
MIME_TYPE = "application/x-medcomp"


def _require_root_and_dpkg() -> None:
    if os.geteuid() == 0 and shutil.which("dpkg") and shutil.which("apt-get"):
        return
    reason = "the .deb test installs the package for real: it needs root, dpkg and apt-get"
    if os.environ.get("MEDCOMP_PACKAGE_TEST") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def app_env(home: Path) -> dict[str, str]:
    """The installed programs' environment: no trace of this test's Python."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "VIRTUAL_ENV", "MEDCOMP_", "QT_"))
    }
    return {**env, "QT_QPA_PLATFORM": "offscreen", "HOME": str(home), "LC_ALL": "C.UTF-8"}


def run(command: list[str], env: dict[str, str] | None = None, timeout: float = 600):
    return subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=timeout, check=False
    )


def apt_get(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return run(["apt-get", "-y", "-q", *args], env=env, timeout=900)


@pytest.fixture(scope="module")
def deb() -> Path:
    _require_root_and_dpkg()
    given = os.environ.get("MEDCOMP_DEB")
    if given:
        return Path(given).resolve()
    start = time.monotonic()
    built = subprocess.run(["make", "package"], cwd=ROOT, check=False)
    assert built.returncode == 0, "make package failed (its output is above)"
    print(f"make package: {time.monotonic() - start:.0f} s")
    debs = sorted((ROOT / "dist").glob("medcomp_*.deb"), key=lambda p: p.stat().st_mtime)
    assert debs, "make package made no dist/medcomp_*.deb"
    return debs[-1]


@pytest.fixture(scope="module")
def installed(deb: Path):
    """The package installed with apt-get (which installs its Depends); removed after."""
    result = apt_get("install", "--no-install-recommends", str(deb))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    listed = run(["dpkg", "-L", "medcomp"]).stdout.split()
    yield [Path(p) for p in listed]
    apt_get("remove", "medcomp")  # (the last test removes it and checks; this is the net)


def test_package_metadata(deb):
    fields = run(["dpkg-deb", "--field", str(deb)]).stdout
    assert f"Version: {__version__}" in fields
    depends = next(line for line in fields.splitlines() if line.startswith("Depends:"))
    for qt_library in ("libxcb-cursor0", "libxcb-icccm4", "libxkbcommon-x11-0", "libegl1"):
        assert qt_library in depends
    assert deb.stat().st_size <= 200e6, f"the .deb is {deb.stat().st_size / 1e6:.0f} MB"
    contents = run(["dpkg-deb", "--contents", str(deb)]).stdout
    assert "tensorflow" not in contents.lower() and "keras" not in contents.lower()


def test_installed_files_and_desktop_entry(installed):
    for path in DESKTOP_FILES:
        assert path.exists(), path
    assert os.path.realpath("/usr/bin/medcomp-gui") == str(PREFIX / "medcomp-gui")
    size = sum(p.stat().st_size for p in PREFIX.rglob("*") if p.is_file() and not p.is_symlink())
    assert size <= 450e6, f"the installed tree is {size / 1e6:.0f} MB"
    desktop = Path("/usr/share/applications/medcomp.desktop")
    if shutil.which("desktop-file-validate"):
        checked = run(["desktop-file-validate", str(desktop)])
        assert checked.returncode == 0, checked.stdout + checked.stderr
    index = json.loads((PREFIX / "_internal" / "licenses" / "index.json").read_text())
    libjpeg = next(e for e in index if e["name"] == "pylibjpeg-libjpeg")
    assert "GPL" in libjpeg["licence"] and libjpeg["files"]
    for entry in index:  # every notice the About dialog would show is there
        assert all((PREFIX / "_internal" / "licenses" / f).is_file() for f in entry["files"])
    assert "GPL-3.0" in Path("/usr/share/doc/medcomp/copyright").read_text()
    entry = desktop.read_text()
    assert "Exec=medcomp-gui %F" in entry and "Icon=medcomp" in entry
    assert f"MimeType=application/dicom;{MIME_TYPE};" in entry


def pane_pixels(shot: Path, state: dict) -> dict[str, np.ndarray]:
    """Each pane's view, cut out of the screenshot by the place the window reported."""
    import imagecodecs

    rgb = np.asarray(imagecodecs.imread(str(shot)), np.float64)
    grey = rgb[..., :3].mean(axis=-1) if rgb.ndim == 3 else rgb
    scale = state["device_pixel_ratio"]
    crops = {}
    for name, pane in state["panes"].items():
        x, y, w, h = (round(v * scale) for v in pane["rect"])
        crops[name] = grey[y + 2 : y + h - 2, x + 2 : x + w - 2]
    rows = min(c.shape[0] for c in crops.values())
    cols = min(c.shape[1] for c in crops.values())
    return {name: c[:rows, :cols] for name, c in crops.items()}


def test_installed_viewer_shows_all_four_panes(installed, mr2_path, tmp_path):
    shot, state_file = tmp_path / "mr2.png", tmp_path / "mr2.json"
    command = ["medcomp-gui", "--screenshot", str(shot), "--state", str(state_file)]
    result = run([*command, str(mr2_path)], env=app_env(tmp_path), timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "unrecognized arguments" not in result.stderr
    state = json.loads(state_file.read_text())
    crops = pane_pixels(shot, state)
    original = crops["original"]
    assert original.std() > 20 and len(np.unique(original)) > 100, "no image in Original"
    for name in ("anlm", "rwnet", "svd"):
        crop = crops[name]
        correlation = np.corrcoef(original.ravel(), crop.ravel())[0, 1]
        assert crop.std() > 20 and correlation > 0.9, (
            f"{name}: std {crop.std():.1f}, r {correlation:.3f}"
        )
    rwnet = state["panes"]["rwnet"]
    figures = rwnet["figures"]
    assert figures["bytes"] > 0 and 30 < figures["psnr"] < 100 and 0 < figures["ssim"] <= 1
    caption = rwnet["caption"]
    assert f"{figures['bytes']:,} B" in caption and f"{figures['bpp']:.3f} bpp" in caption
    assert f"PSNR {figures['psnr']:.2f} dB" in caption
    assert rwnet["settings"]["codec"] == "rwnet"
    assert f"quality {rwnet['settings']['quality']}" in caption


def test_installed_viewer_starts_on_an_x11_display(installed, tmp_path):
    """Qt's xcb plugin (a desktop's) loads with what the package depends on: the viewer
    on a virtual X server (Xvfb) shows the sample in all four panes."""
    if shutil.which("xvfb-run") is None:
        reason = "xvfb-run is not installed (apt-get install xvfb xauth)"
        if os.environ.get("MEDCOMP_PACKAGE_TEST") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    shot, state_file = tmp_path / "x11.png", tmp_path / "x11.json"
    sample = ROOT / "resources" / "sample_mr.dcm"
    command = ["xvfb-run", "-a", "-s", "-screen 0 1400x1100x24", "medcomp-gui"]
    command += ["--screenshot", str(shot), "--state", str(state_file), str(sample)]
    result = run(command, env={**app_env(tmp_path), "QT_QPA_PLATFORM": "xcb"}, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    crops = pane_pixels(shot, json.loads(state_file.read_text()))
    for name, crop in crops.items():
        assert crop.std() > 10, f"{name}: no image on X11"


def test_installed_cli_encodes_with_every_codec(installed, mr2_path, tmp_path):
    env = app_env(tmp_path)
    listed = run(["medcomp", "codecs"], env=env)
    assert listed.returncode == 0 and "unavailable" not in listed.stdout, listed.stdout
    image = api.load_image(mr2_path)
    for name in codec_names():
        out = tmp_path / f"mr2-{name}.mcz"
        args = ["--lossless"] if "lossless" in {p.name for p in get_codec(name).params} else []
        result = run(
            ["medcomp", "-q", "encode", str(mr2_path), "-c", name, *args, "-o", str(out)], env=env
        )
        assert result.returncode == 0, f"{name}: {result.stderr}"
        decoded = api.decompress(out.read_bytes())  # the source install reads the app's file
        assert decoded.pixels.shape == image.pixels.shape
        if args:
            np.testing.assert_array_equal(decoded.pixels, image.pixels)
        back = tmp_path / f"mr2-{name}.npy"
        assert run(["medcomp", "-q", "decode", str(out), "-o", str(back)], env=env).returncode == 0
        np.testing.assert_array_equal(np.load(back), decoded.pixels)


def test_installed_batch_runs_its_workers_from_the_frozen_program(installed, mr2_path, tmp_path):
    """`medcomp batch` in the installed app: its process pool starts through the frozen
    executable (a worker that cannot start fails the batch or every row)."""
    from reference_images import REFERENCES, write_reference

    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copyfile(mr2_path, inputs / "mr2.dcm")
    for ref in REFERENCES[:3]:
        write_reference(ref, inputs)
    count = len(list(inputs.iterdir()))
    out = tmp_path / "out"
    command = ["medcomp", "-q", "batch", str(inputs), "-o", str(out), "-c", "rwnet"]
    result = run([*command, "--jobs", "2", "--json"], env=app_env(tmp_path), timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((out / "medcomp_batch_report.json").read_text())
    rows = report["rows"] if isinstance(report, dict) else report
    assert [r["status"] for r in rows] == ["ok"] * count, rows
    written = sorted(out.rglob("*.mcz"))
    assert len(written) == count
    for path in written:
        assert api.decompress(path.read_bytes()).pixels.size > 0


def test_installed_app_says_what_needs_the_python_install(installed, tmp_path):
    env = app_env(tmp_path)
    result = run(["medcomp", "train"], env=env)
    assert result.returncode == 2 and "needs the Python install" in result.stderr
    (tmp_path / "in").mkdir()
    shutil.copyfile(ROOT / "resources" / "sample_mr.dcm", tmp_path / "in" / "sample.dcm")
    cluster = ["medcomp", "batch", str(tmp_path / "in"), "-o", str(tmp_path / "out")]
    result = run([*cluster, "-c", "svd", "--scheduler", "tcp://127.0.0.1:9"], env=env)
    assert result.returncode != 0 and "Python install of medcomp with Dask" in result.stderr


def xdg_filetype(path: Path, home: Path) -> str:
    result = run(["xdg-mime", "query", "filetype", str(path)], env=app_env(home))
    return result.stdout.strip()


def test_mime_types_are_registered(installed, mr2_path, tmp_path):
    mcz = tmp_path / "image.mcz"
    assert (
        run(
            ["medcomp", "-q", "encode", str(mr2_path), "-c", "svd", "-o", str(mcz)],
            env=app_env(tmp_path),
        ).returncode
        == 0
    )
    no_suffix = tmp_path / "image-without-suffix"
    shutil.copyfile(mcz, no_suffix)  # found by its magic bytes
    dicom = tmp_path / "mr2.dcm"
    shutil.copyfile(mr2_path, dicom)
    assert xdg_filetype(mcz, tmp_path) == MIME_TYPE
    assert xdg_filetype(no_suffix, tmp_path) == MIME_TYPE
    assert xdg_filetype(dicom, tmp_path) == "application/dicom"
    default = run(["xdg-mime", "query", "default", MIME_TYPE], env=app_env(tmp_path)).stdout
    assert default.strip() == "medcomp.desktop"


def test_remove_leaves_nothing_behind(installed, tmp_path, mr2_path):
    mcz = tmp_path / "image.mcz"
    shutil.copyfile(mr2_path, tmp_path / "mr2.dcm")
    mcz.write_bytes(b"MCZ\x89\r\n\x1a\n" + bytes(64))
    result = apt_get("remove", "medcomp")
    assert result.returncode == 0, result.stderr
    status = run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}", "medcomp"]).stdout.strip()
    assert status in ("", "un"), f"dpkg still knows medcomp: {status!r}"
    left = [p for p in installed if p.exists() and not p.is_dir()]
    assert not left, left
    assert not PREFIX.exists(), list(PREFIX.rglob("*"))[:10]
    for path in DESKTOP_FILES:
        assert not path.exists() and not path.is_symlink(), path
    assert not Path(f"/usr/share/mime/{MIME_TYPE}.xml").exists()
    assert xdg_filetype(mcz, tmp_path) != MIME_TYPE
