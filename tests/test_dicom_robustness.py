"""Issue 11's examples, one test each: real files that used to traceback, write wrong
marks or leave undecodable outputs now give a correct result or one clear line."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zlib

import numpy as np
import pydicom
import pytest
from dicom_variants import PHI_ID, PHI_NAME, load_base, run_cli
from pydicom.data import get_testdata_file

from medcomp_gui import api
from medcomp_gui.errors import CodecError, CorruptFileError


def _variant(name: str, tmp_path, change=None, data: bytes | None = None):
    """The base file ``name`` (PHI markers set), changed by ``change(dataset)`` or
    replaced by ``data``, written to ``tmp_path``."""
    from dicom_variants import _resave

    base = load_base(name)
    if data is None:
        data = _resave(base, change) if change else base.data
    path = tmp_path / f"v_{name}"
    path.write_bytes(data)
    return path


def _set_raw(keyword: str, text: str):
    from dicom_variants import _set_raw as set_raw

    def change(ds):
        set_raw(ds, load_base("CT_small.dcm"), keyword, text)

    return change


def _one_line_error(run, *expected: str) -> str:
    assert run.code == 2, (run.code, run.error, run.err)
    assert run.out == ""
    lines = run.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("medcomp: error: "), run.err
    for text in expected:
        assert text in lines[0], lines[0]
    assert "SECRET" not in run.err and PHI_ID not in run.err
    return lines[0]


# --- 1. DICOM input that used to traceback ----------------------------------------------


@pytest.mark.parametrize(
    ("codec", "params", "suffix"),
    [
        ("jpeg2000", ["--lossless"], ".dcm"),
        ("jpeg2000", ["--psnr", "50"], ".mcz"),
        ("jpegls", ["--lossless"], ".dcm"),
        ("jpegls", ["--near", "2"], ".mcz"),
        ("jpegxl", ["--lossless"], ".mcz"),
        ("svd", ["--rank", "8"], ".mcz"),
        ("rwnet", ["-q", "3"], ".mcz"),
    ],
)
def test_big_endian_source_encodes_with_every_codec(tmp_path, codec, params, suffix):
    """pydicom's save_as() cannot convert between byte orders: outputs are little
    endian, the header's values unchanged."""
    source = get_testdata_file("MR_small_bigendian.dcm")
    out = tmp_path / f"out{suffix}"
    run = run_cli(["-q", "encode", source, "-c", codec, *params, "-o", str(out), "--json"])
    assert run.code == 0, run.err
    image = api.load_image(source)
    decoded = api.decode_output(out.read_bytes())
    assert decoded.pixels.shape == image.pixels.shape
    if "--lossless" in params:
        np.testing.assert_array_equal(decoded.pixels, pydicom.dcmread(source).pixel_array)
    restored = api.decompress(out.read_bytes()) if suffix == ".mcz" else decoded
    back = pydicom.dcmread(io.BytesIO(_dicom_bytes(restored)))
    assert back.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
    original = pydicom.dcmread(source)
    for keyword in ("PatientName", "StudyInstanceUID", "ImageOrientationPatient", "SliceLocation"):
        assert back[keyword].value == original[keyword].value, keyword


def _dicom_bytes(image) -> bytes:
    from medcomp_gui.imaging.dicom_io import dataset_bytes, image_dataset

    return dataset_bytes(image_dataset(image))


def test_big_endian_ow_values_are_swapped():
    """Values pydicom keeps as bytes (OW) are rewritten in little-endian order."""
    from medcomp_gui.imaging.dicom_io import header_bytes

    ds = pydicom.dcmread(get_testdata_file("MR_small_bigendian.dcm"))
    ds.add_new(0x00091010, "OW", np.arange(4, dtype=">u2").tobytes())
    buffer = io.BytesIO()
    ds.save_as(buffer)
    image = api.decode_output(buffer.getvalue())
    back = pydicom.dcmread(io.BytesIO(header_bytes(image.dataset)))
    assert np.frombuffer(back[0x00091010].value, "<u2").tolist() == [0, 1, 2, 3]


def test_damaged_deflate_is_one_line(tmp_path):
    data = load_base("image_dfl.dcm").data
    for cut in (len(data) - 1000, len(data) // 2):
        path = _variant("image_dfl.dcm", tmp_path, data=data[:cut])
        _one_line_error(run_cli(["info", str(path)]), "deflated")
    damaged = bytearray(data)
    damaged[len(data) // 2] ^= 0xFF
    path = _variant("image_dfl.dcm", tmp_path, data=bytes(damaged))
    run = run_cli(["info", str(path), "--json"])
    assert run.code == 0 or _one_line_error(run)


@pytest.mark.parametrize("cut", [200, 300, 400, 600, 800, 1000])
def test_truncated_header_is_one_line(tmp_path, cut):
    """struct.error and BytesLengthException used to escape."""
    data = load_base("MR_small.dcm").data
    path = _variant("MR_small.dcm", tmp_path, data=data[:cut])
    for argv in (["info", str(path)], ["encode", str(path), "-c", "svd", "-o", "x.mcz"]):
        _one_line_error(run_cli(argv))


@pytest.mark.parametrize(
    ("keyword", "text"),
    [
        ("RescaleIntercept", "x"),
        ("RescaleIntercept", "1e400"),
        ("RescaleSlope", "abc"),
        ("RescaleSlope", "-inf"),
        ("RescaleIntercept", "1\\2"),
        ("NumberOfFrames", "abc"),
        ("NumberOfFrames", "0"),
    ],
)
def test_unusable_pixel_attributes_are_refused_naming_them(tmp_path, keyword, text):
    """The pixels' meaning (HU) or layout depends on these: refused, named, no value."""
    path = _variant("CT_small.dcm", tmp_path, _set_raw(keyword, text))
    for argv in (["info", str(path), "--json"], ["encode", str(path), "-c", "svd", "-o", "x.mcz"]):
        _one_line_error(run_cli(argv), keyword)


@pytest.mark.parametrize(
    ("keyword", "text"),
    [("WindowWidth", "abc"), ("WindowCenter", "1e400"), ("WindowWidth", "400\\y")],
)
def test_broken_window_is_ignored_with_one_note(tmp_path, keyword, text):
    """A broken WindowWidth must not stop compression; it is said once."""
    path = _variant("CT_small.dcm", tmp_path, _set_raw(keyword, text))
    out = tmp_path / "out.dcm"
    run = run_cli(["encode", str(path), "-c", "jpeg2000", "--lossless", "-o", str(out), "--json"])
    assert run.code == 0, run.err
    notes = [line for line in run.err.splitlines() if "note:" in line]
    assert len(notes) == 1 and keyword in notes[0] and "ignored" in notes[0]
    report = json.loads(run.out)
    assert any(keyword in n for n in report["notes"])
    assert pydicom.dcmread(out)[keyword].value is not None  # kept as it was
    info = json.loads(run_cli(["info", str(path), "--json"]).out)
    assert [w[2] for w in info["windows"]][:2] == ["brain", "lung"]  # CT defaults


def test_unreadable_lossy_ratio_does_not_stop_recompression(tmp_path):
    def change(ds):
        _set_raw("LossyImageCompressionRatio", "abc")(ds)
        ds.LossyImageCompression = "01"

    path = _variant("CT_small.dcm", tmp_path, change)
    out = tmp_path / "out.dcm"
    run = run_cli(["-q", "encode", str(path), "-c", "jpeg2000", "--psnr", "45", "-o", str(out)])
    assert run.code == 0, run.err
    ds = pydicom.dcmread(out)
    assert [str(r) for r in ds.LossyImageCompressionRatio][0] == ""
    assert list(ds.LossyImageCompressionMethod) == ["", "ISO_15444_1"]
    assert run_cli(["info", str(path), "--json"]).code == 0


def test_infinite_rescale_never_reaches_json(tmp_path):
    path = _variant("CT_small.dcm", tmp_path, _set_raw("RescaleSlope", "1e400"))
    _one_line_error(run_cli(["info", str(path), "--json"]), "RescaleSlope")


def test_unknown_vr_fails_inside_the_reader(tmp_path):
    """pydicom parses lazily: an unknown VR used to raise NotImplementedError in
    mark_derived, dataset_bytes or cmd_info, outside every handler."""
    base = load_base("MR_small.dcm")
    data = bytearray(base.data)
    at = data.index(b"\x10\x00\x10\x00PN") + 4  # the VR of PatientName
    data[at : at + 2] = b"ZZ"
    path = _variant("MR_small.dcm", tmp_path, data=bytes(data))
    for argv in (
        ["info", str(path)],
        ["encode", str(path), "-c", "jpeg2000", "--psnr", "40", "-o", str(tmp_path / "a.dcm")],
        ["encode", str(path), "-c", "svd", "-o", str(tmp_path / "a.mcz")],
    ):
        _one_line_error(run_cli(argv), "(0010,0010)")


@pytest.mark.parametrize(
    ("element", "what"),
    [
        (b"\x00\x00\x00\x01US\x02\x00\x01\x00", "Command Set"),  # (0000,0100)
        (b"\x02\x00\x00\x01UI\x04\x001.2\x00", "File Meta"),  # (0002,0100)
    ],
)
def test_misplaced_group_elements_are_left_out_with_a_note(tmp_path, element, what):
    """Command Set elements made pydicom's writer fail after the encode; a group 0002
    element in the dataset (a flipped bit) did too."""
    base = load_base("MR_small.dcm")
    at = base.data.index(b"\x10\x00\x10\x00PN")  # inside the dataset, not after the meta
    data = base.data[:at] + element + base.data[at:]
    path = _variant("MR_small.dcm", tmp_path, data=data)
    out = tmp_path / "out.dcm"
    run = run_cli(["encode", str(path), "-c", "jpeg2000", "--lossless", "-o", str(out)])
    assert run.code == 0, run.err
    assert what in run.err
    ds = pydicom.dcmread(out)
    assert not [e for e in ds if e.tag.group in (0, 2)]


# --- 2. stored values above BitsStored ----------------------------------------------------


@pytest.mark.parametrize(
    ("codec", "params"), [("rwnet", ["-q", "3"]), ("jpeg2000", ["--lossless"])]
)
def test_values_above_bits_stored_are_coded_at_their_true_range(tmp_path, codec, params):
    """rwnet wrote an undecodable .mcz and left it on disk. (pydicom masks native pixel
    data to Bits Stored, but not what a JPEG 2000 or JPEG-LS codestream decodes to.)"""

    def change(ds):  # the values (127..2145) need 12 bits
        ds.PixelRepresentation, ds.BitsStored, ds.HighBit = 0, 8, 7

    path = _variant("MR_small_jp2klossless.dcm", tmp_path, change)
    out = tmp_path / "out.mcz"
    run = run_cli(["encode", str(path), "-c", codec, *params, "-o", str(out), "--json"])
    assert run.code == 0, run.err
    assert "BitsStored" in run.err  # the note
    image = api.load_image(path)
    restored = api.decompress(out.read_bytes())
    assert restored.bits_stored == image.bits_stored > 8
    if codec == "jpeg2000":
        np.testing.assert_array_equal(restored.pixels, pydicom.dcmread(path).pixel_array)
    else:
        from medcomp_gui import metrics

        psnr = metrics.psnr(image.pixels, restored.pixels, image.bits_stored)
        assert json.loads(run.out)["psnr"] == pytest.approx(psnr) and psnr > 25


def test_rwnet_codec_alone_clips_to_bits_stored():
    """Used directly (not through the API, which reads the true range first), the codec
    still writes a payload that decodes."""
    from medcomp_gui.codecs import get_codec
    from medcomp_gui.codecs.base import PayloadInfo
    from medcomp_gui.imaging import MedicalImage

    pixels = np.full((32, 32), 100, np.uint16)
    pixels[8:20, 8:20] = 4000
    image = MedicalImage(pixels, bits_stored=8)
    codec = get_codec("rwnet")
    encoded = codec.encode(image, quality=4)
    info = PayloadInfo(image.pixels.shape, image.pixels.dtype, 8, encoded.params, encoded.extra)
    decoded = codec.decode(encoded.payload, info)
    assert decoded.max() <= 255


# --- write, verify, rename ---------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".mcz", ".dcm"])
def test_no_output_after_a_failure_injected_after_the_write(tmp_path, monkeypatch, suffix):
    """The file is written, then verification fails: nothing is left, and an existing
    output is untouched."""
    from medcomp_gui.cli import main

    def broken(data: bytes):
        raise CorruptFileError("injected failure after the write")

    monkeypatch.setattr(api, "decode_output", broken)
    source = get_testdata_file("CT_small.dcm")
    out = tmp_path / f"out{suffix}"
    with pytest.raises(CodecError, match="injected"):
        api.encode_file(api.load_image(source), out, "jpeg2000", lossless=True)
    assert list(tmp_path.iterdir()) == []
    out.write_bytes(b"previous")
    assert main(["-q", "encode", source, "-c", "jpeg2000", "--lossless", "-o", str(out)]) == 2
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


def test_lossless_output_that_decodes_differently_is_not_written(tmp_path, monkeypatch):
    from medcomp_gui.codecs.jpegls_codec import JPEGLSCodec

    source = api.load_image(get_testdata_file("CT_small.dcm"))
    original = JPEGLSCodec.decode

    def off_by_one(self, payload, info):
        return original(self, payload, info) + np.int16(1)

    monkeypatch.setattr(JPEGLSCodec, "decode", off_by_one)
    with pytest.raises(CodecError, match="same values"):
        api.encode_file(source, tmp_path / "x.mcz", "jpegls", lossless=True)
    assert list(tmp_path.iterdir()) == []


# --- 6, 7. what reaches stdout and stderr ------------------------------------------------


def test_damaged_length_never_shows_patient_data(tmp_path):
    """A damaged length used to put raw header bytes, PatientName included, in the
    one-line error."""
    base = load_base("MR_small.dcm")
    name_at = base.data.index(PHI_NAME.encode())
    before = [entry for entry in base.lengths if name_at - 300 < entry[0] < name_at]
    assert before
    for offset, size, little in before:
        for new in (0xFFFF, 0x0100, 0xFFFFFFFF):
            data = bytearray(base.data)
            fmt = ("<" if little else ">") + ("H" if size == 2 else "I")
            struct.pack_into(fmt, data, offset, new & ((1 << (8 * size)) - 1))
            path = _variant("MR_small.dcm", tmp_path, data=bytes(data))
            out = str(tmp_path / "x.mcz")
            for argv in (
                ["info", str(path), "--json"],
                ["encode", str(path), "-c", "svd", "-o", out],
            ):
                run = run_cli(argv)
                assert "SECRET" not in run.out + run.err and PHI_ID not in run.out + run.err
                assert run.code in (0, 2) and run.error == ""


def test_pydicom_warnings_do_not_reach_stderr(tmp_path):
    path = _variant("CT_small.dcm", tmp_path, _set_raw("InstanceNumber", "x"))
    run = run_cli(["-q", "encode", str(path), "-c", "svd", "-o", str(tmp_path / "a.mcz")])
    assert run.code == 0 and run.err == ""
    run = run_cli(["info", str(path)])
    assert run.code == 0 and run.err == ""


def test_closed_stdout_ends_quietly(tmp_path):
    """`medcomp info X | head` ended with `medcomp: error: : Broken pipe`."""
    source = get_testdata_file("CT_small.dcm")
    process = subprocess.Popen(
        [sys.executable, "-m", "medcomp_gui.cli", "info", source],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()  # the reader is gone before medcomp writes
    _, err = process.communicate(timeout=60)
    assert err == b"" and process.returncode == 0


def test_unexpected_error_is_one_line_exit_70(tmp_path, monkeypatch):
    from medcomp_gui import cli

    def bug(args):
        raise ZeroDivisionError("SECRET^PATIENT")

    monkeypatch.setattr(cli, "cmd_info", bug)
    run = run_cli(["info", "whatever.dcm"])
    assert run.code == 70 and run.err.count("\n") == 1
    assert "ZeroDivisionError" in run.err and "SECRET" not in run.err


# --- 4. a decoded .mcz with a damaged embedded header -----------------------------------


def test_decode_to_dcm_with_unwritable_header_is_one_line(tmp_path):
    """Values that parse but cannot be written (here: an AT element of 3 bytes) give
    one line at `decode -o x.dcm`, never a traceback."""
    from mcz_tools import forge, split

    source = api.load_image(get_testdata_file("CT_small.dcm"))
    header, payload, dicom = split(api.compress(source, "jpegls", lossless=True))
    raw = zlib.decompress(dicom)
    ds = pydicom.dcmread(io.BytesIO(raw))
    ds.add_new(0x00091001, "UN", b"\x01\x02\x03")
    buffer = io.BytesIO()
    ds.save_as(buffer)
    mcz = tmp_path / "x.mcz"
    mcz.write_bytes(forge(header, payload, zlib.compress(buffer.getvalue())))
    run = run_cli(["decode", str(mcz), "-o", str(tmp_path / "x.dcm")])
    assert run.code in (0, 2) and run.error == "", run.error
    if run.code == 2:
        _one_line_error(run)
