"""`python -m medcomp_gui`: open the viewer (the same as `medcomp-gui`)."""

import sys

from medcomp_gui.gui.app import main

sys.exit(main())
