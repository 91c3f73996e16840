"""Prepare RWNet training data under data/rwnet (see medcomp_gui/codecs/rwnet/data.py).

Needs: pip install pydicom-data nibabel; apt-get install mricron-data (optional).
Usage: python scripts/prepare_rwnet_data.py [--out data/rwnet]
"""

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from medcomp_gui.codecs.rwnet.data import prepare  # noqa: E402

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="data/rwnet")
    manifest = prepare(parser.parse_args().out)
    slices = manifest["slices"]
    print(f"{len(slices)} slices")
    print(Counter(s["source"].split(":")[0] for s in slices))
    print(Counter(s["bits_stored"] for s in slices))
