"""`medcomp`: compress, decompress, inspect and compare medical images.

Bad input of any kind ends with one line ``medcomp: error: <file>: <problem>`` on stderr
and exit status 2 (a traceback only with ``--debug``). Messages never quote values from
a file's header (they may be patient data), and library warnings are not shown (they
may quote them, and the promise is one line). What the reader ignored in a file (an
unreadable WindowWidth, say) is said once, as a note. A closed stdout (``| head``) ends
the command quietly. Anything else is a bug: one line, exit status 70.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any

from medcomp_gui import __version__

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 70  # EX_SOFTWARE
#: CLI option -> codec parameter name.
_CODEC_OPTIONS = ("quality", "rank", "psnr", "ratio", "near", "distance", "lossless", "effort")


def _progress(args: argparse.Namespace, message: str) -> None:
    if not getattr(args, "quiet", False):
        print(f"medcomp: {message}", file=sys.stderr, flush=True)


def _show_notes(args: argparse.Namespace, notes: tuple[str, ...] | list[str]) -> None:
    for note in notes:
        _progress(args, f"note: {note}")


def _codec_params(args: argparse.Namespace) -> dict[str, Any]:
    given = {name: getattr(args, name, None) for name in _CODEC_OPTIONS}
    return {
        name: value for name, value in given.items() if value is not None and value is not False
    }


def _check_output(input_path: Path, output: Path) -> None:
    from medcomp_gui.errors import OutputError

    if output.exists() and input_path.exists() and output.resolve() == input_path.resolve():
        raise OutputError(f"{output}: refusing to overwrite the input file")


def cmd_encode(args: argparse.Namespace) -> int:
    from medcomp_gui import api, metrics
    from medcomp_gui.guidance import ratio_warning

    _check_output(args.input, args.output)
    original = image = api.load_image(args.input)
    _show_notes(args, image.notes)
    notes = []
    if args.denoise:
        _progress(args, f"denoising {args.input} (ANLM) before encoding")
        image = api.denoise(image, strength=args.strength)
        notes.append(
            "denoised with ANLM before encoding: psnr, ssim and max_abs_error are against "
            "the denoised image, the *_vs_original figures against the original"
        )
    params = _codec_params(args)
    _progress(args, f"encoding {args.input} with {args.codec} {params or ''}".rstrip())
    result = api.encode_file(image, args.output, args.codec, **params)
    result.notes.extend(notes)
    if not result.lossless:
        body_part = (
            str(image.dataset.get("BodyPartExamined", "")) if image.dataset is not None else ""
        )
        warning = ratio_warning(result.quality.ratio, image.modality, body_part)
        if warning:
            result.notes.append(warning)
            _progress(args, f"warning: {warning}")
    report = result.as_dict()
    if args.denoise:
        decoded = api.decode_output(args.output.read_bytes()).pixels
        bits = original.bits_stored
        psnr = metrics.psnr(original.pixels, decoded, bits)
        report["psnr_vs_original"] = psnr if psnr != float("inf") else None
        ssim = metrics.ssim(original.pixels, decoded, bits)
        report["ssim_vs_original"] = ssim if ssim == ssim else None  # NaN: too small
        report["max_abs_error_vs_original"] = metrics.max_abs_error(original.pixels, decoded)
    if args.json:
        print(json.dumps(report, allow_nan=False, default=str))
    else:
        print(_format_result(report, image.modality))
    return 0


def _db(value: float | None) -> str:
    return "inf (lossless)" if value is None else f"{value:.2f} dB"


def _ssim(value: float | None) -> str:
    return "n/a (image under 7 pixels a side)" if value is None else f"{value:.5f}"


def _format_result(d: dict[str, Any], modality: str) -> str:
    from medcomp_gui.guidance import guideline_ratio

    psnr = _db(d["psnr"])
    limit = guideline_ratio(modality)
    guide = f" (CAR 2008 limit for {modality}: {limit:g}:1)" if limit and not d["lossless"] else ""
    lines = [
        f"wrote {d['path']}: {d['bytes']} bytes, {d['bpp']:.4f} bpp, "
        f"ratio {d['ratio']:.2f}:1{guide}",
        f"codec {d['codec']} {d['params']}; PSNR {psnr}, SSIM {_ssim(d['ssim'])}, "
        f"max error {d['max_abs_error']}, encode {d['encode_seconds']:.2f} s",
    ]
    if "psnr_vs_original" in d:
        lines.append(
            f"against the original (before denoising): PSNR {_db(d['psnr_vs_original'])}, "
            f"SSIM {_ssim(d['ssim_vs_original'])}, max error {d['max_abs_error_vs_original']}"
        )
    lines += [f"note: {n}" for n in d["notes"]]
    return "\n".join(lines)


def cmd_batch(args: argparse.Namespace) -> int:
    """Compress (or with ``--decode`` restore) every image found; 0 all done, 1 some failed."""
    from medcomp_gui.batch import check_settings, make_plan, run_batch
    from medcomp_gui.batch.cli_progress import progress_bar
    from medcomp_gui.batch.settings import BatchUsageError, decode_settings

    if args.jobs is not None and args.jobs < 0:
        raise BatchUsageError(f"--jobs must be 0 or more, not {args.jobs}")
    if args.decode:
        settings = decode_settings()
    elif not args.codec:
        raise BatchUsageError("give a codec with -c/--codec (see `medcomp codecs`)")
    else:
        params = {k: v for k, v in _codec_params(args).items() if k != "psnr"}
        settings = check_settings(
            args.codec,
            params,
            format=args.format,
            psnr=args.psnr,
            max_error=args.max_error,
            within_guideline=args.within_guideline,
        )
    plan = make_plan(args.inputs, args.output, settings)
    _progress(args, plan.describe())
    with progress_bar(plan.files, enabled=not args.quiet) as update:
        result = run_batch(
            plan, jobs=args.jobs, scheduler=args.scheduler, force=args.force, progress=update
        )
    failed = result.failed()
    if args.json:
        summary = {
            "exit_status": result.exit_status,
            "settings": settings.describe(),
            "report_csv": str(result.report_csv),
            "report_json": str(result.report_json),
            "totals": result.totals.as_dict(),
            "failed": [{"source": r.source, "reason": r.reason} for r in failed],
        }
        print(json.dumps(summary, default=str))
    else:
        print(f"{result.totals.summary()}; report: {result.report_csv}")
    for row in failed[:10]:
        _progress(args, f"failed: {row.source}: {row.reason}")
    if len(failed) > 10:
        _progress(args, f"... and {len(failed) - 10} more failures, see {result.report_csv}")
    return result.exit_status


def cmd_batch_decode(args: argparse.Namespace) -> int:
    args.decode = True
    return cmd_batch(args)


def cmd_decode(args: argparse.Namespace) -> int:
    from medcomp_gui import api

    _check_output(args.input, args.output)
    image = api.load_any(args.input)
    _show_notes(args, image.notes)
    path = api.save(image, args.output)
    print(
        f"wrote {path}: {image.pixels.shape} {image.pixels.dtype}, {image.bits_stored} bits stored"
    )
    return 0


def cmd_denoise(args: argparse.Namespace) -> int:
    from medcomp_gui import api

    _check_output(args.input, args.output)
    image = api.load_any(args.input)
    _progress(args, f"denoising {args.input} (ANLM)")
    filtered = api.denoise(image, strength=args.strength)
    path = api.save(filtered, args.output)
    from medcomp_gui import metrics

    change = metrics.psnr(image.pixels, filtered.pixels, image.bits_stored)
    print(f"wrote {path}: ANLM-filtered, PSNR against the input {change:.2f} dB")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from medcomp_gui import api, container

    data = args.file.read_bytes() if args.file.is_file() else b""
    info: dict[str, Any] = {"file": str(args.file), "bytes": len(data)}
    if container.is_mcz(data[:8]):
        from medcomp_gui.errors import MedcompError

        try:
            c = container.unpack(data)
        except MedcompError as exc:
            raise type(exc)(f"{args.file}: {exc}") from exc
        n = c.n_pixels
        bits_allocated = c.dtype.itemsize * 8
        info.update(
            kind="medcomp .mcz",
            codec=c.codec,
            params=c.params,
            lossless=c.lossless,
            shape=list(c.shape),
            dtype=c.dtype.name,
            bits_stored=c.bits_stored,
            modality=c.modality,
            photometric=c.photometric,
            bpp=8 * len(data) / n,
            ratio=n * bits_allocated / 8 / len(data),
            payload_bytes=len(c.payload),
            dicom_header_embedded=bool(c.dicom_header),
            extra=c.extra,
        )
    else:
        image = api.load_image(args.file)
        ds = image.dataset
        info.update(
            kind="DICOM" if ds is not None else args.file.suffix.lstrip(".").upper(),
            shape=list(image.pixels.shape),
            dtype=image.pixels.dtype.name,
            bits_stored=image.bits_stored,
            modality=image.modality,
            photometric=image.photometric,
            rescale=[image.rescale_slope, image.rescale_intercept],
            windows=[[w.center, w.width, w.name] for w in image.windows],
            notes=list(image.notes),
        )
        if ds is not None:
            syntax = (
                ds.file_meta.get("TransferSyntaxUID", "") if getattr(ds, "file_meta", None) else ""
            )
            info.update(
                transfer_syntax=f"{syntax} ({getattr(syntax, 'name', '')})",
                sop_class=str(getattr(ds.get("SOPClassUID"), "name", ds.get("SOPClassUID", ""))),
                lossy_image_compression=str(ds.get("LossyImageCompression", "")),
                lossy_ratio=[str(r) for r in _listify(ds.get("LossyImageCompressionRatio"))],
                lossy_method=[str(m) for m in _listify(ds.get("LossyImageCompressionMethod"))],
                image_type=[str(t) for t in _listify(ds.get("ImageType"))],
            )
    if args.json:
        print(json.dumps(info, default=str, allow_nan=False))
    else:
        for key, value in info.items():
            print(f"{key:>24}: {value}")
    return 0


def _listify(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return list(value) if not isinstance(value, str | int | float) else [value]


def cmd_codecs(args: argparse.Namespace) -> int:
    from medcomp_gui.codecs import codec_names, get_codec
    from medcomp_gui.errors import MedcompError

    for name in codec_names():
        try:
            codec = get_codec(name)
        except (ImportError, MedcompError) as exc:
            print(f"{name}: unavailable ({exc})")
            continue
        missing = codec.availability()
        print(f"{name}: {codec.description}" + (f"  [unavailable: {missing}]" if missing else ""))
        for spec in codec.params:
            print(f"    {spec.describe()}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from medcomp_gui import api
    from medcomp_gui.compare import compare, format_table

    image = api.load_image(args.input)
    rows, bd = compare(image, codecs=args.codecs, progress=lambda m: _progress(args, m))
    if args.json:
        print(
            json.dumps(
                {"input": str(args.input), "points": rows, "bd_rate_vs_jpeg2000": bd}, default=str
            )
        )
    else:
        print(format_table(str(args.input), image, rows, bd))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from medcomp_gui import api
    from medcomp_gui.compare import compare, format_table
    from medcomp_gui.resources import sample_image_path

    path = sample_image_path()
    image = api.load_image(path)
    codecs = [
        c for c in ("jpeg2000", "jpegls", "jpegxl", "svd", "rwnet") if c != "rwnet" or _usable(c)
    ]
    rows, bd = compare(image, codecs=codecs, progress=lambda m: _progress(args, m))
    print(format_table(path.name, image, rows, bd))
    return 0


def _usable(name: str) -> bool:
    from medcomp_gui.codecs import get_codec
    from medcomp_gui.errors import MedcompError

    try:
        return get_codec(name).availability() is None
    except (ImportError, MedcompError):
        return False


#: What `medcomp train` needs that the viewer does not (pyproject.toml's "train" extra).
TRAIN_INSTALL = "pip install 'medcomp-gui[train]' (or `make test` in the repository)"


def cmd_train(args: argparse.Namespace) -> int:
    import importlib.util

    from medcomp_gui.errors import MedcompError

    if getattr(sys, "frozen", False):  # the installed app (PyInstaller) carries no TensorFlow
        raise MedcompError(
            f"training needs the Python install of medcomp with TensorFlow: {TRAIN_INSTALL}"
        )
    from medcomp_gui.codecs.rwnet import train

    parser = argparse.ArgumentParser(prog="medcomp train", description="train or fine-tune RWNet")
    train.add_arguments(parser)
    options = args.train_args[1:] if args.train_args[:1] == ["--"] else args.train_args
    parsed = parser.parse_args(options)
    if importlib.util.find_spec("tensorflow") is None:
        raise MedcompError(f"training needs TensorFlow: {TRAIN_INSTALL}")
    return int(train.run(parsed))


BATCH_HELP = """\
Compress every image below the inputs into OUTPUT, mirroring the folder tree.

Each file is read, encoded, written to a temporary name, verified by decoding the
written file (lossless: bit-exact), and renamed. A file that fails is a row of the
report, never the end of the batch. The report (medcomp_batch_report.csv and .json)
and a journal are kept in OUTPUT as the batch goes: rerunning the same command skips
the files already done (--force redoes them). A second batch into OUTPUT is refused.

Exit status: 0 every image done (non-images are skipped), 1 some failed, 2 bad usage.

Examples:
  medcomp batch /pacs/export -o /pacs/j2k -c jpeg2000 --lossless --format dcm
  medcomp batch /pacs/export -o /pacs/mcz -c rwnet --psnr 45 --within-guideline
  medcomp batch /pacs/export -o /pacs/out -c htj2k --format dcm --scheduler tcp://head:8786
"""


def _codec_options(parser: argparse.ArgumentParser) -> None:
    """The codecs' own settings (`medcomp codecs` lists their ranges)."""
    parser.add_argument(
        "--quality", "-Q", "-q", type=int, help="rwnet quality level (higher is better)"
    )
    parser.add_argument("--rank", type=int, help="svd rank")
    parser.add_argument("--ratio", type=float, help="jpeg2000: target compression ratio")
    parser.add_argument("--near", type=int, help="jpegls: largest error per pixel")
    parser.add_argument("--distance", type=float, help="jpegxl: butteraugli distance")
    parser.add_argument("--effort", type=int, help="jpegxl: encoder effort 1..9")
    parser.add_argument("--lossless", action="store_true", help="the codec's lossless mode")


def _batch_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "inputs", type=Path, nargs="+", help="files and folders (searched recursively)"
    )
    parser.add_argument("-o", "--output", type=Path, required=True, help="output folder")
    parser.add_argument(
        "--jobs",
        "-j",
        type=int,
        help="worker processes (default: the machine's cores; 0: in this process)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDR",
        help="run on a Dask distributed cluster, e.g. tcp://HOST:8786 (shared storage)",
    )
    parser.add_argument(
        "--force", action="store_true", help="redo every file, even those done before"
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="medcomp", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"medcomp {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    enc = sub.add_parser("encode", help="compress an image to .mcz (any codec) or .dcm")
    enc.add_argument("input", type=Path)
    enc.add_argument("-c", "--codec", required=True, help="see `medcomp codecs`")
    enc.add_argument(
        "-o", "--output", type=Path, required=True, help=".mcz, or .dcm for jpeg2000/htj2k/jpegls"
    )
    _codec_options(enc)
    enc.add_argument("--psnr", type=float, help="jpeg2000, htj2k: target PSNR in dB")
    enc.add_argument("--denoise", action="store_true", help="ANLM-filter before encoding")
    enc.add_argument("--strength", type=float, help="ANLM strength with --denoise")
    enc.add_argument("--json", action="store_true", help="print one JSON object")
    enc.set_defaults(func=cmd_encode)

    bat = sub.add_parser(
        "batch",
        help="compress every image in files/folders into a folder (parallel, resumable)",
        description=BATCH_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _batch_common(bat)
    bat.add_argument("-c", "--codec", help="codec (see `medcomp codecs`)")
    bat.add_argument(
        "--format",
        choices=["mcz", "dcm"],
        default="mcz",
        help="mcz (any codec) or dcm (standard DICOM: jpeg2000, htj2k, jpegls); default mcz",
    )
    _codec_options(bat)
    target = bat.add_argument_group("quality targets (per image, the lowest rate that meets them)")
    target.add_argument("--psnr", type=float, help="at least this PSNR in dB")
    target.add_argument("--max-error", type=int, help="at most this error per pixel, stored units")
    target.add_argument(
        "--within-guideline",
        action="store_true",
        help="no image above its modality's CAR 2008 ratio (raises quality where needed)",
    )
    bat.set_defaults(func=cmd_batch, decode=False)

    bdec = sub.add_parser(
        "batch-decode",
        help="restore folders of .mcz files to DICOM (parallel, resumable, verified)",
    )
    _batch_common(bdec)
    bdec.set_defaults(func=cmd_batch_decode)

    dec = sub.add_parser(
        "decode", help="decode a .mcz (or convert an image) to .dcm/.png/.tif/.npy"
    )
    dec.add_argument("input", type=Path)
    dec.add_argument("-o", "--output", type=Path, required=True)
    dec.set_defaults(func=cmd_decode)

    den = sub.add_parser("denoise", help="ANLM-filter an image")
    den.add_argument("input", type=Path)
    den.add_argument("-o", "--output", type=Path, required=True)
    den.add_argument("--strength", type=float, help="filtering strength (1.0 = default)")
    den.set_defaults(func=cmd_denoise)

    inf = sub.add_parser("info", help="what a file is: codec, sizes, lossy marks")
    inf.add_argument("file", type=Path)
    inf.add_argument("--json", action="store_true")
    inf.set_defaults(func=cmd_info)

    cod = sub.add_parser("codecs", help="registered codecs, parameters, availability")
    cod.set_defaults(func=cmd_codecs)

    cmp_ = sub.add_parser(
        "compare", help="every codec over a sweep: bpp, ratio, PSNR, SSIM, BD-rate"
    )
    cmp_.add_argument("input", type=Path)
    cmp_.add_argument("--codecs", nargs="+", help="subset of codecs (default: all available)")
    cmp_.add_argument("--json", action="store_true")
    cmp_.set_defaults(func=cmd_compare)

    demo = sub.add_parser("demo", help="compare the codecs on the bundled sample image")
    demo.set_defaults(func=cmd_demo)

    train_parser = sub.add_parser(
        "train", help="train or fine-tune the RWNet model (`medcomp train -- --help`)"
    )
    train_parser.add_argument("train_args", nargs=argparse.REMAINDER, help="options of the trainer")
    train_parser.set_defaults(func=cmd_train)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    with warnings.catch_warnings():
        if not args.debug:
            # A library's warning may quote a header value (patient data) and would add
            # lines to the one-line promise; what matters is raised or noted by medcomp.
            warnings.simplefilter("ignore")
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from medcomp_gui.errors import MedcompError

    where = getattr(args, "input", None) or getattr(args, "file", None)
    try:
        code = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return code
    except BrokenPipeError:
        _stdout_to_devnull()
        return 0
    except MedcompError as exc:
        if args.debug:
            raise
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if where is not None and str(where) not in message:
            message = f"{where}: {message}"
        return _fail(message, EXIT_BAD_INPUT)
    except MemoryError:
        if args.debug:
            raise
        return _fail(f"{where or 'medcomp'}: not enough memory for this image", EXIT_BAD_INPUT)
    except OSError as exc:
        if args.debug:
            raise
        return _fail(f"{exc.filename or where or ''}: {exc.strerror or exc}", EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        print("medcomp: interrupted", file=sys.stderr)
        return 130
    except (SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # a bug, or a native library's panic (not an Exception)
        if args.debug:
            raise
        print(
            f"medcomp: internal error: {where or ''}: {type(exc).__name__} "
            "(a bug; please report it; --debug shows the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _fail(message: str, code: int) -> int:
    print(f"medcomp: error: {message}", file=sys.stderr)
    return code


def _stdout_to_devnull() -> None:
    """Point stdout at /dev/null, so that Python's final flush of a closed pipe is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
