"""Entry script of the bundled CLI (PyInstaller needs a file): `medcomp ...`.

freeze_support() first: a process pool's workers (`medcomp batch`) and multiprocessing's
resource tracker start as this executable with multiprocessing's own arguments; PyInstaller's
runtime hook makes freeze_support() run them (on every platform) instead of the CLI.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from medcomp_gui.cli import main

    sys.exit(main())
