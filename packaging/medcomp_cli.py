"""Entry script of the bundled CLI (PyInstaller needs a file): `medcomp ...`."""

import sys

from medcomp_gui.cli import main

sys.exit(main())
