"""No patient data in any message (issue 11): a DICOM with PatientName "SECRET^PATIENT"
and PatientID "PHI-123", damaged in each way the issue names, never shows either string
in stdout, stderr, --json or the batch report (CSV and JSON)."""

from __future__ import annotations

import json
import struct

import pytest
from dicom_variants import KINDS, PHI_NAME, PHI_STRINGS, load_base, run_cli, variants

#: Variants of each kind of damage taken from the generator.
PER_KIND = 6


def _targeted(base) -> dict[str, bytes]:
    """Damage aimed at the patient's name: lengths just before it (the raw bytes that
    used to reach the message), its VR unknown, the file cut inside it."""
    name_at = base.data.index(PHI_NAME.encode())
    out = {}
    for offset, size, little in base.lengths:
        if name_at - 200 < offset < name_at:
            for new in (0xFFFF, 0x0101, 0xFFFFFFFF):
                data = bytearray(base.data)
                fmt = ("<" if little else ">") + ("H" if size == 2 else "I")
                struct.pack_into(fmt, data, offset, new & ((1 << (8 * size)) - 1))
                out[f"length_{offset}_{new:x}"] = bytes(data)
    tag = b"\x10\x00\x10\x00" if base.little else b"\x00\x10\x00\x10"
    vr = base.data.index(tag + b"PN") + 4
    out["unknown_vr_name"] = base.data[:vr] + b"ZZ" + base.data[vr + 2 :]
    out["cut_in_name"] = base.data[: name_at + 5]
    return out


@pytest.fixture(scope="module")
def damaged_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("damaged")
    seen: dict[str, int] = {}
    for variant in variants(400, (11, 99)):
        if seen.get(variant.kind, 0) < PER_KIND:
            seen[variant.kind] = seen.get(variant.kind, 0) + 1
            (folder / f"{variant.kind}_{seen[variant.kind]}.dcm").write_bytes(variant.data)
    assert set(seen) == {kind for kind, _ in KINDS}
    for name, data in _targeted(load_base("MR_small.dcm")).items():
        (folder / f"{name}.dcm").write_bytes(data)
    for name, data in _targeted(load_base("MR_small_bigendian.dcm")).items():
        (folder / f"be_{name}.dcm").write_bytes(data)
    return folder


def _clean(text: str) -> bool:
    return not any(s in text for s in PHI_STRINGS)


def test_single_file_commands_never_show_patient_data(damaged_folder, tmp_path):
    codes = set()
    for path in sorted(damaged_folder.iterdir()):
        out = tmp_path / "out.mcz"
        for argv in (
            ["info", str(path)],
            ["info", str(path), "--json"],
            ["encode", str(path), "-c", "svd", "--rank", "4", "-o", str(out), "--json"],
            ["decode", str(path), "-o", str(tmp_path / "back.png")],
        ):
            run = run_cli(argv)
            assert run.error == "", (path.name, run.error)
            assert _clean(run.out + run.err), (path.name, argv[0], run.out + run.err)
            codes.add(run.code)
        for p in tmp_path.iterdir():
            p.unlink()
    assert codes == {0, 2}


@pytest.mark.parametrize("fmt", ["dcm", "mcz"])
def test_batch_report_never_shows_patient_data(damaged_folder, tmp_path, fmt):
    codec = ["jpeg2000", "--lossless"] if fmt == "dcm" else ["svd", "--rank", "4"]
    out = tmp_path / "out"
    argv = ["batch", str(damaged_folder), "-o", str(out), "-c", *codec]
    run = run_cli([*argv, "--format", fmt, "--jobs", "0", "--json"])
    assert run.error == "" and run.code in (0, 1), (run.code, run.error, run.err[-500:])
    assert _clean(run.out + run.err)
    summary = json.loads(run.out)
    assert summary["failed"], "the damaged files should fail, with reasons"
    reports = [out / "medcomp_batch_report.csv", out / "medcomp_batch_report.json"]
    for report in reports:
        text = report.read_text(encoding="utf-8")
        assert _clean(text), report.name
    rows = json.loads(reports[1].read_text())["rows"]
    assert any(r["status"] == "ok" for r in rows) and any(r["status"] == "failed" for r in rows)
