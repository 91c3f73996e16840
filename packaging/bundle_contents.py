"""What goes into the PyInstaller bundle and what stays out (used by medcomp.spec).

PyInstaller follows imports; this module names what it cannot see (modules imported by
name) and prunes what it collects but the app never loads. Every line says why.
"""

from __future__ import annotations

import fnmatch
import os
import plistlib
import tomllib
from pathlib import Path

#: Modules imported by name at run time, which PyInstaller's import scan cannot see.
NATIVE_MODULES = [
    # pydicom's pixel-data plugins, found through their entry points (dist-info kept by
    # the hooks): JPEG 2000 / HTJ2K (openjpeg), JPEG (libjpeg), JPEG-LS (jpeg_ls)
    "pylibjpeg",
    "openjpeg",
    "libjpeg",
    "jpeg_ls",
    "constriction",
    "skimage.metrics",
    "scipy.ndimage",
    # imagecodecs loads each codec's extension on first use (imagecodecs.__getattr__):
    # only the ones the codecs and readers call, not its 50 others (35 MB of libraries)
    "imagecodecs._imcd",
    "imagecodecs._shared",
    "imagecodecs._shared_cython",  # every codec extension imports it when it loads
    "imagecodecs._jpeg2k",  # jpeg2000 codec (OpenJPEG codestreams)
    "imagecodecs._htj2k",  # htj2k codec (High-Throughput JPEG 2000)
    "imagecodecs._jpegxl",  # jpegxl codec
    "imagecodecs._png",  # PNG read/write (imaging.raster_io)
    "imagecodecs._jpeg8",  # JPEG read (imagecodecs.imread tries jpeg8, then ljpeg)
    "imagecodecs._ljpeg",
    "imagecodecs._zlib",  # tifffile's zlib compression when imagecodecs is present
    "imagecodecs._deflate",
]

#: Never bundled: training (TensorFlow/Keras and the modules that import them at their
#: top), test and plotting tools that optional imports of the libraries would pull in.
EXCLUDED_MODULES = [
    "tensorflow",
    "tensorboard",
    "keras",
    "h5py",
    "medcomp_gui.codecs.rwnet.model",
    "medcomp_gui.codecs.rwnet.layers",
    "medcomp_gui.codecs.rwnet.train",
    "matplotlib",
    "tkinter",
    # Pillow (16 MB) only comes through image readers the app never calls (imageio,
    # skimage.io and skimage.data; pydicom's Pillow decoder, which pylibjpeg replaces)
    "PIL",
    "imageio",
    "skimage.io",
    "skimage.data",
    "IPython",
    "pytest",
    "hypothesis",
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtWebEngineCore",
    "PySide6.Qt3DCore",
]


def wanted_module(name: str) -> bool:
    """medcomp_gui's submodules to bundle: all but training's (they import Keras)."""
    return not any(name == m or name.startswith(m + ".") for m in EXCLUDED_MODULES)


def wanted_pyqtgraph_module(name: str) -> bool:
    """pyqtgraph without its examples, Jupyter and OpenGL parts (the viewer uses none)."""
    return not any(part in name for part in ("examples", "jupyter", "opengl"))


#: Bundle paths (as PyInstaller names them, "/"-separated) that the app never loads.
#: Qt: translations (the viewer installs no translator); the platform plugins other than
#: xcb (X11, and XWayland on a Wayland desktop) and offscreen (--screenshot, tests); the
#: GTK theme (it drags in GTK, cairo and pango), network, TLS, evdev input and EGL/KMS
#: device plugins and the libraries only they use.
QT_PRUNED = [
    "PySide6/Qt/translations/*",
    "PySide6/Qt/plugins/platforms/libqeglfs.so",
    "PySide6/Qt/plugins/platforms/libqlinuxfb.so",
    "PySide6/Qt/plugins/platforms/libqminimal.so",
    "PySide6/Qt/plugins/platforms/libqminimalegl.so",
    "PySide6/Qt/plugins/platforms/libqvkkhrdisplay.so",
    "PySide6/Qt/plugins/platforms/libqvnc.so",
    "PySide6/Qt/plugins/platforms/libqwayland*.so",
    "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
    "PySide6/Qt/plugins/egldeviceintegrations/*",
    "PySide6/Qt/plugins/generic/*",
    "PySide6/Qt/plugins/networkinformation/*",
    "PySide6/Qt/plugins/tls/*",
    "PySide6/Qt/plugins/wayland-*/*",
    "PySide6/Qt/plugins/imageformats/libq[!s]*",  # all but svg (the icons)
    "*libQt6EglFSDeviceIntegration.so*",
    "*libQt6EglFsKmsSupport.so*",
    "*libQt6WaylandClient.so*",
    "*libQt6WaylandEglClientHwIntegration.so*",
    "*libQt6WlShellIntegration.so*",
]
#: Where a Linux system keeps the libraries of its packages (the .deb depends on them).
SYSTEM_LIBRARY_DIRS = ("/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/")


def is_system_library(dest: str, source: str | None, typecode: str) -> bool:
    """A shared library of the build machine's distribution (not Python's own library,
    not an extension module, not one shipped inside a wheel)."""
    if typecode != "BINARY" or not source:
        return False
    name = os.path.basename(dest)
    if name.startswith("libpython"):
        return False
    return os.path.realpath(source).startswith(SYSTEM_LIBRARY_DIRS) and "/site-packages/" not in (
        os.path.realpath(source)
    )


def keep(toc: list, platform: str) -> list:
    """``toc`` (PyInstaller's (dest, source, typecode) entries) without what the app never
    loads, and on Linux without the system's libraries."""
    kept = []
    for dest, source, typecode in toc:
        path = dest.replace(os.sep, "/")
        if any(fnmatch.fnmatch(path, pattern) for pattern in QT_PRUNED):
            continue
        if platform.startswith("linux") and is_system_library(dest, source, typecode):
            continue
        kept.append((dest, source, typecode))
    return kept


def write_notices(out: Path, analysis) -> Path:
    """``out`` filled with the licence files of the distributions whose modules the
    bundle holds (and medcomp's), Python's licence and the GPL-3.0/LGPL-3.0 texts."""
    import importlib.metadata as metadata
    import sys

    from medcomp_gui import licences

    top = {name.split(".")[0] for name, _, _ in analysis.pure}
    top |= {
        dest.replace(os.sep, "/").split("/")[0].split(".")[0] for dest, _, _ in analysis.binaries
    }
    owners = metadata.packages_distributions()
    bundled = {_canonical(d) for module in top for d in owners.get(module, [])}
    dists = [
        d
        for d in licences.runtime_distributions()
        if _canonical(d.metadata["Name"]) in bundled | {licences.DISTRIBUTION}
    ]
    here = Path(__file__).resolve().parent / "licenses"
    python = next(
        p
        for p in (
            Path(sys.base_prefix)
            / "lib"
            / f"python{sys.version_info[0]}.{sys.version_info[1]}"
            / "LICENSE.txt",
            Path(sys.base_prefix) / "LICENSE.txt",
        )
        if p.is_file()
    )
    extra = {
        f"Python {sys.version.split()[0]}": python,
        "GNU General Public License 3.0": here / "GPL-3.0.txt",
        "GNU Lesser General Public License 3.0": here / "LGPL-3.0.txt",
    }
    licences.write_notices(out, dists, extra)
    return out


def _canonical(name: str) -> str:
    return name.replace("_", "-").replace(".", "-").lower()


def project_version(root: Path) -> str:
    return tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"]


def macos_info_plist(root: Path) -> dict:
    """Info.plist entries of medcomp.app: its version, and the document types it opens
    (DICOM and .mcz, the latter declared here as an exported type)."""
    version = project_version(root)
    return {
        "CFBundleShortVersionString": version,
        "CFBundleVersion": version,
        "NSHighResolutionCapable": True,
        "LSMinimumSystemVersion": "11.0",
        "CFBundleDocumentTypes": [
            {
                "CFBundleTypeName": "DICOM image",
                "CFBundleTypeRole": "Viewer",
                "LSHandlerRank": "Alternate",
                "LSItemContentTypes": ["org.nema.dicom"],
            },
            {
                "CFBundleTypeName": "medcomp compressed image",
                "CFBundleTypeRole": "Editor",
                "LSHandlerRank": "Owner",
                "LSItemContentTypes": ["org.medcomp.mcz"],
            },
        ],
        "UTExportedTypeDeclarations": [
            {
                "UTTypeIdentifier": "org.medcomp.mcz",
                "UTTypeDescription": "medcomp compressed image",
                "UTTypeConformsTo": ["public.data"],
                "UTTypeTagSpecification": {
                    "public.filename-extension": ["mcz"],
                    "public.mime-type": ["application/x-medcomp"],
                },
            }
        ],
        "UTImportedTypeDeclarations": [
            {
                "UTTypeIdentifier": "org.nema.dicom",
                "UTTypeDescription": "DICOM image",
                "UTTypeConformsTo": ["public.data"],
                "UTTypeTagSpecification": {
                    "public.filename-extension": ["dcm", "dicom"],
                    "public.mime-type": ["application/dicom"],
                },
            }
        ],
    }


if __name__ == "__main__":  # print the plist (to check it by eye)
    print(plistlib.dumps(macos_info_plist(Path(__file__).resolve().parent.parent)).decode())
