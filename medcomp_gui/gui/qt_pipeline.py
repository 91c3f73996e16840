"""What fills the four panes: loading, ANLM, SVD and RWNet, each in a worker thread.

One image at a time. A load bumps ``token``; every result checks it, so a late result
for an image the user has left is dropped. SVD factorises once per image (or per
denoised image), then each rank change asks for a fast preview and the real file
(channels "svd-preview" and "svd-file": the latest rank wins, no backlog).

The worker threads mostly wait: ANLM, the SVD factorisation and files, and everything of
RWNet run in two child processes (:mod:`worker_process`), started when the window opens
(RWNet's model load and warm-up begin then); so does loading. Only the
histogram and the SVD previews (a matrix product) run in this process.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from medcomp_gui.gui import compute, worker_process
from medcomp_gui.gui.operating_point import LADDERS, Candidate, Target, target_for
from medcomp_gui.gui.qt_image_pane import QtImagePane
from medcomp_gui.gui.qt_jobs import QtJobRunner
from medcomp_gui.imaging.image import MedicalImage
from medcomp_gui.series import Entry

DEFAULT_RANK = 32
#: Milliseconds from a new image's arrival to the start of its work (after its first
#: paint, see :meth:`QtPanePipeline._on_loaded`).
START_AFTER_MS = 40
#: Channels of work on the current image (cancelled when another is loaded).
IMAGE_CHANNELS = ("load", "anlm", "svd-factor", "svd-preview", "svd-file", "rwnet", "best-codec")


class QtPanePipeline(QObject):
    """Owns the image, its derived images and the jobs that compute them."""

    image_loaded = Signal(object)  # MedicalImage
    load_failed = Signal(str, str)  # path, message
    svd_size = Signal(str)  # text for the controls
    rwnet_probed = Signal(list, object)  # qualities, reason or None
    panes_changed = Signal()  # a pane's image, caption or info changed
    rank_chosen = Signal(int)  # the default search chose this SVD rank
    rwnet_chosen = Signal(object)  # ... and this RWNet quality
    best_measured = Signal()  # ``best`` is there (the save dialog's default codec)

    def __init__(
        self,
        panes: dict[str, QtImagePane],
        parent: QObject | None = None,
        workers: worker_process.Workers | None = None,
    ) -> None:
        super().__init__(parent)
        self.panes = panes
        self.runner = QtJobRunner(self)
        self.token = 0
        self.image: MedicalImage | None = None
        self.filtered: MedicalImage | None = None
        self.svd: compute.SVDPreview | None = None
        self.svd_key = 0  # the compute process keeps the factorisation under this key
        self._svd_keys = itertools.count(1)
        self.volumes: dict[str, np.ndarray] = {}  # pane -> pixels of every frame
        self.measured: dict[str, compute.Measured] = {}  # "svd", "rwnet"
        self.frame = 0
        self.rank = DEFAULT_RANK
        self.wanted_rank = DEFAULT_RANK  # the user's choice, kept across smaller images
        self.strength = 1.0
        self.denoise_first = False
        self.rwnet_quality: Any = None
        # The compressed panes open at the default setting (operating_point) until the
        # user picks one for this image.
        self.target: Target | None = None
        self.svd_auto = True
        self.rwnet_auto = True
        #: Every codec at its default for this image, best first (operating_point).
        self.best: list[Candidate] | None = None
        self._best_token = -1
        self.rwnet_info: tuple[list[Any], str | None] | None = None
        self.codec_info: dict[str, str | None] | None = None  # the other codecs
        self.workers = workers or worker_process.make_workers()
        self.workers.start()

    # -- requests --------------------------------------------------------------------
    def probe_codecs(self) -> None:
        """Find out in the background which codecs are usable (imports their modules)."""
        worker = self.workers.compute
        self.runner.submit(
            "codec-probe", lambda: worker.call("codec_status"), self._on_codec_status
        )

    def _on_codec_status(self, status: dict[str, str | None]) -> None:
        self.codec_info = status

    def probe_rwnet(self) -> None:
        worker = self.workers.rwnet
        self.runner.submit(
            "rwnet-probe",
            lambda: worker.call("probe"),
            self._on_probe,
            lambda exc: self._on_probe(([], compute.error_reason(exc))),
        )

    def load(self, entry: Entry) -> None:
        """Open a list entry (a file or a stack of slices); until it is loaded no pane
        shows the image before it."""
        self.token += 1
        for channel in IMAGE_CHANNELS:
            self.runner.cancel(channel)
        self._forget_image()
        where = str(entry.paths[0].parent if entry.is_stack else entry.paths[0])
        self.panes["original"].set_busy(f"loading {where}")
        workers = self.workers

        def load() -> MedicalImage:
            rwnet = not entry.is_stack and compute.mcz_codec(entry.paths[0]) == "rwnet"
            return (workers.rwnet if rwnet else workers.compute).call("load_entry", entry)

        self.runner.submit(
            "load",
            load,
            self._guard(self._on_loaded),
            self._guard(lambda exc: self._on_load_error(where, exc)),
        )

    def set_frame(self, frame: int) -> None:
        self.frame = frame
        original = self.volumes.get("original")
        for name, pane in self.panes.items():
            volume = self.volumes.get(name)
            if original is not None:
                pane.set_reference(original[frame])
            if volume is not None:
                pane.set_frame(volume[frame], final=pane.state != "busy")
        if self.svd is not None and "svd" not in self.measured and not self.svd_auto:
            self.request_rank(self.rank)

    def set_strength(self, strength: float) -> None:
        self.strength = strength
        if self.image is not None:
            self._start_anlm()

    def set_denoise_first(self, on: bool) -> None:
        self.denoise_first = on
        if self.image is not None:
            self._start_compression()

    def set_rwnet_quality(self, quality: Any) -> None:
        """The user chose a quality: it holds for this image."""
        self.rwnet_quality = quality
        self.rwnet_auto = False
        if self.image is not None:
            self._start_rwnet()

    def set_rank(self, rank: int) -> None:
        """The user moved the rank slider: that rank holds for this image."""
        self.wanted_rank = rank
        self.svd_auto = False
        self.request_rank(rank)

    def request_rank(self, rank: int) -> None:
        self.rank = rank
        session, token, frame, key = self.svd, self.token, self.frame, self.svd_key
        worker = self.workers.compute
        if session is None:
            return
        rank = min(rank, session.max_rank)
        self.measured.pop("svd", None)
        self.svd_size.emit(f"file size at rank {rank}: measuring …")
        pane = self.panes["svd"]
        pane.state = "busy"
        self.runner.submit(
            "svd-preview",
            lambda: session.preview(frame, rank),
            self._guard(lambda px: self._on_svd_preview(px, rank, frame), token),
            self._pane_error("svd"),
            show_stale=True,
        )
        self.runner.submit(
            "svd-file",
            lambda: worker.call("svd_measure", key, rank),
            self._guard(lambda m: self._on_measured("svd", m), token),
            self._pane_error("svd"),
        )

    def source(self) -> MedicalImage | None:
        """The image compressed: the ANLM-filtered one when "denoise first" is on."""
        return self.filtered if self.denoise_first else self.image

    def settled(self) -> bool:
        """Nothing computing (the background measurement of the best codec aside), and
        every pane of the image (if one is open) has its result."""
        background = int(self.runner.is_busy("best-codec"))
        return self.runner.busy() == background and (
            self.image is None or all(p.settled() for p in self.panes.values())
        )

    def shutdown(self) -> None:
        self.token += 1
        self.workers.close()  # the worker threads waiting for them return at once
        self.runner.shutdown()

    # -- results ---------------------------------------------------------------------
    def _guard(
        self, callback: Callable[[Any], None], token: int | None = None
    ) -> Callable[[Any], None]:
        token = self.token if token is None else token

        def guarded(result: Any) -> None:
            if token == self.token:
                callback(result)

        return guarded

    def _pane_error(self, name: str, prefix: str = "error") -> Callable[[BaseException], None]:
        token = self.token

        def failed(exc: BaseException) -> None:
            if token == self.token:
                self.panes[name].set_error(
                    f"{self.panes[name].title}: {prefix}: {compute.error_reason(exc)}"
                )
                self.panes_changed.emit()

        return failed

    def _forget_image(self) -> None:
        """No image: every pane empty, nothing derived kept."""
        self.image, self.filtered, self.svd, self.frame = None, None, None, 0
        self.volumes, self.measured = {}, {}
        self.best, self._best_token = None, -1
        for pane in self.panes.values():
            pane.clear()
        self.panes_changed.emit()

    def _on_load_error(self, path: str, exc: BaseException) -> None:
        reason = compute.error_reason(exc)
        self._forget_image()
        self.panes["original"].set_error(f"cannot open {path}: {reason}")
        for name, pane in self.panes.items():
            if name != "original":
                pane.clear("no image")
        self.load_failed.emit(path, reason)

    def _on_loaded(self, image: MedicalImage) -> None:
        self.image, self.filtered, self.svd, self.frame = image, None, None, 0
        self.volumes = {"original": image.frames}
        self.measured = {}
        self.rank = min(self.wanted_rank, image.rows, image.cols)
        self.target = target_for(image)
        self.svd_auto = self.rwnet_auto = True
        for pane in self.panes.values():
            pane.clear()
            pane.set_reference(image.frames[0])
        original = self.panes["original"]
        original.set_frame(image.frames[0], compute.original_caption(image))
        original.info = compute.original_info(image)
        self.image_loaded.emit(image)
        self.panes_changed.emit()
        token = self.token

        def start() -> None:
            if token == self.token:
                self._start_anlm()
                self._start_compression()

        # After the image's first paint (the GUI thread's longest work for a new image,
        # 20-30 ms for four panes here) and one more turn of the event loop for the
        # input that waited for it: then the busy captions, the requests to the workers
        # and their first busy cycles. (A shorter timer is due by the time the paint
        # ends and runs in the same turn: one long block instead of two short ones.)
        QTimer.singleShot(START_AFTER_MS, self, start)

    def _start_anlm(self) -> None:
        image, strength, worker = self.image, self.strength, self.workers.compute
        self.panes["anlm"].set_busy(f"ANLM strength {strength:g}: filtering")
        self.runner.submit(
            "anlm",
            lambda: worker.call("anlm", image, strength),
            self._guard(self._on_filtered),
            self._pane_error("anlm"),
        )

    def _on_filtered(self, result: tuple[MedicalImage, str]) -> None:
        self.filtered, caption = result
        self.volumes["anlm"] = self.filtered.frames
        self.panes["anlm"].set_frame(self.filtered.frames[self.frame], caption)
        self.panes["anlm"].info = [f"ANLM strength {self.strength:g}"]
        self.panes_changed.emit()
        if self.denoise_first:
            self._start_compression()

    def _start_compression(self) -> None:
        source, original, worker = self.source(), self.image, self.workers.compute
        self.svd = None
        self.svd_key = key = next(self._svd_keys)
        self.measured = {}
        self.best, self._best_token = None, -1
        self.runner.cancel("best-codec")
        for name in ("svd", "rwnet"):
            self.volumes.pop(name, None)
        self.runner.cancel("svd-preview")
        self.runner.cancel("svd-file")
        if source is None:
            for name in ("svd", "rwnet"):
                self.panes[name].set_busy("waiting for the ANLM-filtered image")
            return
        self.panes["svd"].set_busy("SVD: factorising")
        self.runner.submit(
            "svd-factor",
            lambda: compute.SVDPreview(source, worker.call("svd_factor", key, source, original)),
            self._guard(lambda preview: self._on_factorised(key, preview)),
            self._pane_error("svd"),
        )
        self._start_rwnet()

    def _on_factorised(self, key: int, preview: compute.SVDPreview) -> None:
        if key != self.svd_key:
            return
        self.svd = preview
        if self.svd_auto:
            self._request_svd_default()
        else:
            self.request_rank(self.rank)

    def _request_svd_default(self) -> None:
        """The SVD pane at the highest compression meeting the image's target."""
        target, key, token, worker = self.target, self.svd_key, self.token, self.workers.compute
        start = self.rank
        self.runner.cancel("svd-preview")
        self.svd_size.emit(f"finding the {target.describe()} …")
        self.panes["svd"].set_busy(f"SVD: finding the {target.describe()}")
        self.runner.submit(
            "svd-file",
            lambda: worker.call("svd_default", key, target, start),
            self._guard(lambda m: self._on_default("svd", m), token),
            self._pane_error("svd"),
        )

    def measure_best(self) -> None:
        """Once every pane of the image has its result: each codec at its default for
        this image, measured in the compute process (in the background), best first."""
        if (
            self.image is None
            or self.target is None
            or self._best_token == self.token
            or not all(p.settled() for p in self.panes.values())
        ):
            return
        self._best_token = self.token
        auto = {"svd": self.svd_auto, "rwnet": self.rwnet_auto}
        known = [Candidate.of(n, m) for n, m in self.measured.items() if auto.get(n)]
        status = self.codec_info or {}
        codecs = [name for name in LADDERS if status.get(name) is None]
        source, original, target = self.source(), self.image, self.target
        worker, token = self.workers.compute, self.token
        self.runner.submit(
            "best-codec",
            lambda: worker.call("best_codec", source, original, target, codecs, known),
            self._guard(self._on_best, token),
        )

    def _on_best(self, candidates: list[Candidate]) -> None:
        self.best = candidates
        self.best_measured.emit()

    def _on_default(self, name: str, measured: compute.Measured) -> None:
        if name == "svd":
            if not self.svd_auto:
                return  # the user chose a rank meanwhile: that request's answer follows
            self.rank = int(measured.params.get("rank", self.rank))
            self.rank_chosen.emit(self.rank)
        else:
            if not self.rwnet_auto:
                return
            self.rwnet_quality = measured.params.get("quality", self.rwnet_quality)
            self.rwnet_chosen.emit(self.rwnet_quality)
        self._on_measured(name, measured)
        self.panes[name].info.append(f"default: {self.target.short()}")
        self.panes_changed.emit()

    def _on_svd_preview(self, pixels: np.ndarray, rank: int, frame: int) -> None:
        if "svd" in self.measured or frame != self.frame:
            return
        pane = self.panes["svd"]
        pane.set_frame(
            pixels, f"SVD rank {rank} · preview (unquantised); measuring the file …", final=False
        )

    def _on_measured(self, name: str, measured: compute.Measured) -> None:
        image = self.image
        note = (
            "\n(compressed after ANLM; figures against the original)" if self.denoise_first else ""
        )
        title = {"svd": "SVD", "rwnet": "RWNet"}[name]
        self.measured[name] = measured
        self.volumes[name] = (
            measured.pixels if measured.pixels.ndim == 3 else measured.pixels[np.newaxis]
        )
        self.panes[name].set_frame(
            self.volumes[name][self.frame], compute.quality_caption(title, measured, image, note)
        )
        self.panes[name].info = compute.measured_info(title, measured, image)
        self.panes_changed.emit()
        if name == "svd":
            q = measured.quality
            self.svd_size.emit(f"file size at {measured.settings}: {q.bytes:,} B ({q.ratio:.1f}:1)")

    def _on_probe(self, info: tuple[list[Any], str | None]) -> None:
        self.rwnet_info = info
        qualities, reason = info
        if qualities and self.rwnet_quality is None:
            self.rwnet_quality = qualities[0]  # the codec's default
        self.rwnet_probed.emit(qualities, reason)
        if self.image is not None:
            self._start_rwnet()

    def _start_rwnet(self) -> None:
        pane = self.panes["rwnet"]
        self.measured.pop("rwnet", None)
        if self.rwnet_info is None:
            pane.set_busy("RWNet: loading the model in the background")
            return
        qualities, reason = self.rwnet_info
        if reason is not None:
            pane.set_error(f"RWNet: not available: {reason}")
            return
        source, original, quality, token = self.source(), self.image, self.rwnet_quality, self.token
        worker = self.workers.rwnet
        if source is None:
            return
        if self.rwnet_auto and self.target is not None:
            target = self.target
            pane.set_busy(f"RWNet: finding the {target.describe()}")
            self.runner.submit(
                "rwnet",
                lambda: worker.call("default", source, original, target, qualities, quality),
                self._guard(lambda m: self._on_default("rwnet", m), token),
                self._pane_error("rwnet", "not available"),
            )
            return
        pane.set_busy(f"RWNet quality {quality}: encoding")
        self.runner.submit(
            "rwnet",
            lambda: worker.call("measure", source, original, quality),
            self._guard(lambda m: self._on_measured("rwnet", m), token),
            self._pane_error("rwnet", "not available"),
        )
