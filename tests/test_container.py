"""The .mcz container: round trip, and every kind of damage gives our own error."""

from __future__ import annotations

import numpy as np
import pytest

from medcomp_gui import api, container
from medcomp_gui.errors import CodecError, CorruptFileError, MedcompError
from medcomp_gui.imaging import MedicalImage, WindowPreset


@pytest.fixture(scope="module")
def small_mcz() -> tuple[MedicalImage, dict[str, bytes]]:
    from reference_images import REFERENCES, make_dataset

    from medcomp_gui.imaging.dicom_io import dataset_to_image

    ref = next(r for r in REFERENCES if r.id == "multiframe")
    image = dataset_to_image(make_dataset(ref), "multiframe")
    files = {
        name: api.compress(image, name, **params)
        for name, params in [
            ("jpeg2000", {"psnr": 50}),
            ("jpegls", {"near": 1}),
            ("jpegxl", {"lossless": True}),
            ("svd", {"rank": 6}),
        ]
    }
    return image, files


def test_round_trip_keeps_every_field(small_mcz):
    image, files = small_mcz
    c = container.unpack(files["svd"])
    assert c.codec == "svd" and c.params == {"rank": 6}
    assert c.shape == image.pixels.shape and c.dtype == image.pixels.dtype
    assert c.bits_stored == 12 and not c.lossless
    assert c.windows == image.windows
    restored = api.decompress(files["svd"])
    assert restored.dataset.PatientID == image.dataset.PatientID


def test_truncated_at_every_offset_is_a_clear_error(small_mcz):
    _, files = small_mcz
    data = files["jpegls"]
    for cut in range(len(data)):
        with pytest.raises(MedcompError):
            api.decompress(data[:cut])


def test_every_flipped_byte_is_detected(small_mcz):
    _, files = small_mcz
    data = files["jpeg2000"]
    for offset in range(len(data)):
        damaged = bytearray(data)
        damaged[offset] ^= 0x5A
        with pytest.raises(MedcompError):
            api.decompress(bytes(damaged))


def test_foreign_bytes_are_refused():
    with pytest.raises(MedcompError, match="not a .mcz"):
        api.decompress(b"\x89PNG\r\n\x1a\n" + bytes(100))


def test_version_1_files_still_read(small_mcz):
    from mcz_tools import with_header

    _, files = small_mcz
    for name, data in files.items():
        assert data[8:10] == b"\x02\x00", name  # written as version 2
        old = with_header(data)  # the same parts in version 1's layout
        assert old[8:10] == b"\x01\x00" and container.unpack(old) == container.unpack(data)
        np.testing.assert_array_equal(api.decompress(old).pixels, api.decompress(data).pixels)


@pytest.mark.parametrize("version", [1, 2])
def test_header_that_claims_a_huge_image_is_refused_before_allocating(small_mcz, version):
    from mcz_tools import with_header

    _, files = small_mcz
    forged = with_header(files["svd"], version=version, shape=[60000, 60000])
    with pytest.raises(MedcompError, match="shape"):
        api.decompress(forged)


def test_version_2_headers_get_the_same_checks(small_mcz):
    """A compact header is completed with the defaults, then checked like version 1's."""
    from mcz_tools import forge, split, with_header

    _, files = small_mcz
    assert container.unpack(with_header(files["svd"], version=2)) == container.unpack(files["svd"])
    with pytest.raises(CorruptFileError, match="'lossless'"):
        api.decompress(with_header(files["svd"], version=2, lossless=True))
    with pytest.raises(CorruptFileError, match="'modality'"):
        api.decompress(with_header(files["svd"], version=2, modality=["not", "text"]))
    header, payload, dicom = split(files["svd"])
    del header["codec"]
    with pytest.raises(CorruptFileError, match="'codec'"):
        api.decompress(forge(header, payload, dicom, version=2))
    with pytest.raises(CorruptFileError, match="JSON"):
        api.decompress(forge(header, payload, dicom, raw_header=b"[1, 2", version=2))


def test_payload_damage_with_a_valid_checksum_is_still_our_error(small_mcz):
    """A payload rewritten with a matching CRC reaches the codec, which must refuse it."""
    _, files = small_mcz
    rng = np.random.default_rng(3)
    for name, data in files.items():
        c = container.unpack(data)
        for _ in range(20):
            payload = bytearray(c.payload)
            for i in rng.integers(0, len(payload), 4):
                payload[i] = int(rng.integers(0, 256))
            c.payload = bytes(payload)
            try:
                restored = api.decompress(container.pack(c))
            except MedcompError:
                continue
            assert restored.pixels.shape == c.shape, name


# --- consistency (issue 11): the codec decides lossless-ness, the header cannot --------


def test_lossy_file_claiming_lossless_is_refused(small_mcz):
    from mcz_tools import with_header

    _, files = small_mcz
    for name in ("svd", "jpeg2000", "jpegls"):
        forged = with_header(files[name], lossless=True)
        with pytest.raises(CorruptFileError, match="'lossless'"):
            api.decompress(forged)
        with pytest.raises(CorruptFileError, match="'lossless'"):
            container.unpack(forged)


def test_rwnet_file_claiming_lossless_is_refused():
    """The example of the issue: a lossy rwnet file whose header says lossless decoded
    to a DICOM without lossy marks."""
    from mcz_tools import with_header
    from reference_images import phantom

    image = MedicalImage(phantom((32, 32), 12, False), 12)
    data = api.compress(image, "rwnet", quality=2)
    assert not container.unpack(data).lossless
    with pytest.raises(CorruptFileError, match="'lossless'"):
        api.decompress(with_header(data, lossless=True))


def test_lossless_file_claiming_lossy_and_contradictory_params_are_refused(small_mcz):
    from mcz_tools import with_header

    image, _ = small_mcz
    lossless = api.compress(image, "jpegls", lossless=True)
    with pytest.raises(CorruptFileError, match="'lossless'"):
        api.decompress(with_header(lossless, lossless=False))
    for params in ({"lossless": True, "near": 2}, {"rank": 3}, {"near": 999}):
        with pytest.raises(CorruptFileError, match="'params'"):
            api.decompress(with_header(lossless, params=params))


def test_pack_refuses_what_unpack_would_refuse(small_mcz):
    image, files = small_mcz
    c = container.unpack(files["svd"])
    c.lossless = True
    with pytest.raises(CodecError, match="cannot write"):
        container.pack(c)
    c = container.unpack(files["svd"])
    c.windows = (WindowPreset(1.0, 2.0, "x"),) * 65
    with pytest.raises(CodecError, match="'windows'"):
        container.pack(c)


def test_unknown_codec_is_a_clear_error(small_mcz):
    from mcz_tools import with_header

    _, files = small_mcz
    with pytest.raises(CodecError, match="does not know"):
        api.decompress(with_header(files["svd"], codec="wavelet9000"))


def test_damaged_embedded_dicom_header_is_refused_at_decode(small_mcz, tmp_path, capsys):
    """The embedded header is parsed eagerly, inside the handler: an element with an
    unknown VR fails decompress(), not the later write of a .dcm."""
    import zlib

    from mcz_tools import forge, split

    from medcomp_gui.cli import main

    _, files = small_mcz
    header, payload, dicom = split(files["jpegls"])
    raw = bytearray(zlib.decompress(dicom))
    at = raw.index(b"PN", 132)  # the VR of PatientName
    raw[at : at + 2] = b"ZZ"
    forged = forge(header, payload, zlib.compress(bytes(raw)))
    with pytest.raises(CorruptFileError, match="embedded DICOM header"):
        api.decompress(forged)
    source = tmp_path / "forged.mcz"
    source.write_bytes(forged)
    code = main(["decode", str(source), "-o", str(tmp_path / "x.dcm")])
    out, err = capsys.readouterr()
    assert code == 2 and not out
    assert err.count("\n") == 1 and err.startswith("medcomp: error: ")
    assert "embedded DICOM header" in err and "Test^Phantom" not in err
    assert not (tmp_path / "x.dcm").exists()


def test_header_errors_name_the_field_not_its_value(small_mcz):
    from mcz_tools import with_header

    _, files = small_mcz
    with pytest.raises(CorruptFileError) as info:
        api.decompress(with_header(files["svd"], modality="SECRET^PATIENT-IS-TOO-LONG"))
    assert "'modality'" in str(info.value) and "SECRET" not in str(info.value)


def test_minimal_dicom_costs_under_150_bytes_besides_the_payload(tmp_path):
    """Format version 2: header plus embedded DICOM header of a minimal DICOM image
    (file meta, SOP class and instance, the pixel module) under 150 bytes; version 1
    took about 900."""
    import io

    import pydicom
    from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage, generate_uid

    from medcomp_gui.imaging import load_image

    ds = pydicom.Dataset()
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID, ds.SOPInstanceUID = MRImageStorage, generate_uid()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.Modality, ds.SamplesPerPixel, ds.PhotometricInterpretation = "MR", 1, "MONOCHROME2"
    pixels = np.random.default_rng(0).integers(0, 4096, (64, 64)).astype(np.uint16)
    ds.Rows, ds.Columns = pixels.shape
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = pixels.tobytes()
    ds.save_as(tmp_path / "m.dcm", enforce_file_format=True)
    image = load_image(tmp_path / "m.dcm")
    for codec, params in (("rwnet", {"quality": 4}), ("jpegls", {}), ("jpeg2000", {})):
        data = api.compress(image, codec, **params)
        c = container.unpack(data)
        assert c.dicom_header and len(data) - len(c.payload) < 150, codec
        kept = pydicom.dcmread(io.BytesIO(c.dicom_header))
        assert kept.SOPInstanceUID == ds.SOPInstanceUID, codec


def test_the_preset_dictionaries_never_change():
    """They are part of format version 2: another dictionary needs another version."""
    import hashlib

    from medcomp_gui import container_dicts

    assert hashlib.sha256(container_dicts.HEADER_DICT).hexdigest().startswith("0616c4067765")
    assert hashlib.sha256(container_dicts.DICOM_DICT).hexdigest().startswith("7b67ee9ff56d")
