"""Before Qt starts on a Linux desktop: are the system libraries of its xcb plugin there?

PySide6's wheels carry Qt but not the X11/xcb libraries its xcb platform plugin links to;
a missing one makes Qt abort (``xcb-cursor0 or libxcb-cursor0 is needed``) with no hint
of what to install. This module asks the dynamic loader (``ldd``) about the plugin
without importing Qt, and names the Debian/Ubuntu packages to install.
``python -m medcomp_gui.gui.system_libs`` (the Makefile's `run` does this) exits 1 with
the ``apt-get install`` line when something is missing.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

#: Libraries Qt's xcb plugin (and the Qt libraries under it) load, and their Debian and
#: Ubuntu packages. The packaging/README.md and the .deb's Depends name the same ones.
PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-glx.so.0": "libxcb-glx0",
    "libxcb.so.1": "libxcb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
}
_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)


def xcb_plugin() -> Path | None:
    """PySide6's xcb platform plugin, found without importing PySide6 (None: no PySide6)."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    plugin = Path(list(spec.submodule_search_locations)[0]) / "Qt/plugins/platforms/libqxcb.so"
    return plugin if plugin.is_file() else None


def missing_libraries(plugin: Path | None = None) -> list[str]:
    """Shared libraries the xcb plugin needs that the loader cannot find (sonames, sorted);
    empty when all are there, or when this is not a Linux machine with ldd."""
    plugin = plugin or xcb_plugin()
    ldd = shutil.which("ldd")
    if plugin is None or ldd is None or not sys.platform.startswith("linux"):
        return []
    result = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, check=False)
    return sorted(set(_NOT_FOUND.findall(result.stdout)))


def install_line(sonames: list[str]) -> str:
    """The apt-get line that installs ``sonames`` (unknown ones are named for apt-file)."""
    packages = sorted({PACKAGES[s] for s in sonames if s in PACKAGES})
    line = f"sudo apt-get install {' '.join(packages)}" if packages else ""
    unknown = [s for s in sonames if s not in PACKAGES]
    if unknown:
        line += ("; " if line else "") + "find the package of " + ", ".join(unknown)
        line += " with `apt-file search NAME`"
    return line


def needs_display_libraries() -> bool:
    """Whether Qt will load its xcb plugin: a Linux desktop, no offscreen/minimal/other
    platform chosen with QT_QPA_PLATFORM."""
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    return sys.platform.startswith("linux") and (platform == "" or platform.startswith("xcb"))


def check() -> str | None:
    """A message naming the missing libraries and the command that installs them, or
    None when Qt's xcb plugin can load (or will not be used)."""
    if not needs_display_libraries():
        return None
    missing = missing_libraries()
    if not missing:
        return None
    return (
        f"medcomp-gui: Qt's X11 (xcb) plugin cannot load: missing {', '.join(missing)}.\n"
        f"Install the system libraries first: {install_line(missing)}"
    )


def main() -> int:
    message = check()
    if message is not None:
        print(message, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
