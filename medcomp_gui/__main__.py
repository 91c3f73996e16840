"""`python -m medcomp_gui`: open the viewer (the same as `medcomp-gui`)."""

import multiprocessing
import sys

from medcomp_gui.gui.app import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # the bundled app starts RWNet's child process
    sys.exit(main())
