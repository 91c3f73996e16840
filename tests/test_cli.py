"""`medcomp` end to end: outputs, --json fields, and exit 2 with one clear line for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pydicom
import pytest

from medcomp_gui.cli import main


@pytest.fixture
def mr_file(reference_dir):
    return reference_dir / "12bit.dcm"


def run(capsys, *argv):
    code = main([*argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_encode_json_reports_the_file_on_disk(capsys, mr_file, tmp_path):
    out = tmp_path / "a.mcz"
    code, stdout, _ = run(
        capsys,
        "-q",
        "encode",
        str(mr_file),
        "-c",
        "jpeg2000",
        "--psnr",
        "50",
        "-o",
        str(out),
        "--json",
    )
    assert code == 0
    report = json.loads(stdout)
    for key in (
        "codec",
        "params",
        "bytes",
        "bpp",
        "ratio",
        "psnr",
        "ssim",
        "max_abs_error",
        "encode_seconds",
    ):
        assert key in report
    assert report["bytes"] == out.stat().st_size
    assert report["psnr"] >= 50
    assert report["bpp"] == pytest.approx(8 * out.stat().st_size / (96 * 80))


def test_encode_decode_round_trip_to_every_format(capsys, mr_file, tmp_path):
    mcz = tmp_path / "a.mcz"
    assert (
        run(capsys, "-q", "encode", str(mr_file), "-c", "jpegls", "--lossless", "-o", str(mcz))[0]
        == 0
    )
    original = pydicom.dcmread(mr_file).pixel_array
    for suffix in (".dcm", ".png", ".tif", ".npy"):
        target = tmp_path / f"b{suffix}"
        assert run(capsys, "decode", str(mcz), "-o", str(target))[0] == 0
        if suffix == ".dcm":
            back = pydicom.dcmread(target).pixel_array
        elif suffix == ".npy":
            back = np.load(target)
        else:
            from medcomp_gui.api import load_image

            back = load_image(target).pixels
        np.testing.assert_array_equal(back, original)


def test_info_codecs_and_compare(capsys, mr_file, tmp_path):
    mcz = tmp_path / "s.mcz"
    run(capsys, "-q", "encode", str(mr_file), "-c", "svd", "--rank", "5", "-o", str(mcz))
    code, stdout, _ = run(capsys, "info", str(mcz), "--json")
    info = json.loads(stdout)
    assert (
        code == 0
        and info["codec"] == "svd"
        and info["lossless"] is False
        and info["bytes"] == mcz.stat().st_size
    )
    code, stdout, _ = run(capsys, "info", str(mr_file))
    assert code == 0 and "MONOCHROME2" in stdout
    code, stdout, _ = run(capsys, "codecs")
    assert code == 0 and "--psnr" in stdout and "--rank" in stdout
    code, stdout, _ = run(
        capsys, "-q", "compare", str(mr_file), "--codecs", "jpeg2000", "svd", "--json"
    )
    result = json.loads(stdout)
    assert code == 0 and {p["codec"] for p in result["points"]} == {"jpeg2000", "svd"}
    assert result["bd_rate_vs_jpeg2000"]["jpeg2000"] == pytest.approx(0.0, abs=1e-9)


def test_ratio_above_guideline_warns(capsys, mr_file, tmp_path):
    big = mr_file.parent / "odd_511x257.dcm"
    code, stdout, err = run(
        capsys,
        "encode",
        str(big),
        "-c",
        "svd",
        "--rank",
        "1",
        "-o",
        str(tmp_path / "x.mcz"),
        "--json",
    )
    assert code == 0
    assert "CAR 2008" in err and any("CAR 2008" in n for n in json.loads(stdout)["notes"])


def _corrupt_inputs(tmp_path, mr_file):
    data = mr_file.read_bytes()
    truncated = tmp_path / "truncated.dcm"
    truncated.write_bytes(data[: len(data) // 2])
    garbage = tmp_path / "garbage.dcm"
    garbage.write_bytes(data[:132] + os.urandom(400))
    foreign = tmp_path / "photo.mcz"
    foreign.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(200))
    sr = tmp_path / "sr.dcm"
    ds = pydicom.dcmread(mr_file)
    del ds.PixelData
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.11"
    ds.save_as(sr)
    return {
        "truncated DICOM": (
            ["decode", str(truncated), "-o", str(tmp_path / "o.npy")],
            "truncated.dcm",
        ),
        "corrupted DICOM": (
            ["encode", str(garbage), "-c", "svd", "-o", str(tmp_path / "o.mcz")],
            "garbage.dcm",
        ),
        "foreign .mcz": (["decode", str(foreign), "-o", str(tmp_path / "o.npy")], "photo.mcz"),
        "missing file": (["info", str(tmp_path / "nope.dcm")], "nope.dcm"),
        "non-image DICOM": (
            ["encode", str(sr), "-c", "svd", "-o", str(tmp_path / "o.mcz")],
            "no image",
        ),
        "unwritable output": (
            ["encode", str(mr_file), "-c", "svd", "-o", "/proc/medcomp/x.mcz"],
            "/proc/medcomp",
        ),
        "bad parameter": (
            ["encode", str(mr_file), "-c", "svd", "--rank", "0", "-o", str(tmp_path / "o.mcz")],
            "rank",
        ),
        "wrong output type": (
            ["encode", str(mr_file), "-c", "svd", "-o", str(tmp_path / "o.dcm")],
            "no DICOM transfer syntax",
        ),
        "overwrite input": (["decode", str(mr_file), "-o", str(mr_file)], "overwrite the input"),
    }


def test_bad_input_exits_2_with_one_clear_line(capsys, tmp_path, mr_file):
    before = mr_file.read_bytes()
    for label, (argv, expected) in _corrupt_inputs(tmp_path, mr_file).items():
        code, _, err = run(capsys, *argv)
        assert code == 2, label
        lines = err.strip().splitlines()
        assert lines[-1].startswith("medcomp: error: "), (label, err)
        assert expected in lines[-1], (label, err)
        assert "Traceback" not in err, label
    assert mr_file.read_bytes() == before


def test_truncated_mcz_through_the_cli(capsys, mr_file, tmp_path):
    mcz = tmp_path / "t.mcz"
    run(capsys, "-q", "encode", str(mr_file), "-c", "jpeg2000", "--lossless", "-o", str(mcz))
    data = mcz.read_bytes()
    for cut in (0, 5, 20, len(data) // 2, len(data) - 1):
        mcz.write_bytes(data[:cut])
        code, _, err = run(capsys, "decode", str(mcz), "-o", str(tmp_path / "x.npy"))
        assert code == 2 and err.startswith("medcomp: error: ") and "t.mcz" in err


def test_console_script_runs_in_a_fresh_process(mr_file, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "medcomp_gui.cli", "info", str(tmp_path / "missing.dcm")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == f"medcomp: error: {tmp_path / 'missing.dcm'}: no such file"


def test_encode_with_denoise_reports_both_references(capsys, mr_file, tmp_path):
    out = tmp_path / "d.mcz"
    code, stdout, err = run(
        capsys,
        "encode",
        str(mr_file),
        "-c",
        "jpeg2000",
        "--lossless",
        "--denoise",
        "-o",
        str(out),
        "--json",
    )
    report = json.loads(stdout)
    assert code == 0 and "denois" in err
    assert report["psnr"] is None  # lossless against the denoised image
    assert report["psnr_vs_original"] < 100 and report["max_abs_error_vs_original"] > 0
    assert any("denoised" in n for n in report["notes"])


def test_train_options_follow_a_double_dash(capsys):
    # `medcomp train -- --help` as the README says; the trainer's own parser answers
    with pytest.raises(SystemExit) as done:
        main(["train", "--", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "medcomp train" in out and "--resume" in out and "--model-id" in out


def test_train_without_tensorflow_says_what_to_install(capsys, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "tensorflow" else real(name, *a),
    )
    assert main(["train", "--", "--steps", "1"]) == 2
    err = capsys.readouterr().err
    assert "training needs TensorFlow" in err and "medcomp-gui[train]" in err


def test_train_in_the_installed_app_says_it_needs_the_python_install(capsys, monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert main(["train", "--", "--help"]) == 2
    err = capsys.readouterr().err
    assert "needs the Python install" in err and "medcomp-gui[train]" in err


def test_encode_takes_the_rwnet_quality_as_q(capsys, mr_file, tmp_path):
    """`medcomp encode IN -c rwnet -q Q` (the issue's spelling; `-Q` and `--quality` too);
    `medcomp -q ...` before the command stays "quiet"."""
    sizes = []
    for flag, level in (("-q", "2"), ("-Q", "9")):
        out = tmp_path / f"{level}.mcz"
        code, stdout, _ = run(
            capsys,
            "-q",
            "encode",
            str(mr_file),
            "-c",
            "rwnet",
            flag,
            level,
            "-o",
            str(out),
            "--json",
        )
        assert code == 0
        assert json.loads(stdout)["params"] == {"quality": int(level)}
        sizes.append(out.stat().st_size)
    assert sizes[0] < sizes[1]
