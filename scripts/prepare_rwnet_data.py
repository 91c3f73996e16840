"""Prepare RWNet's training and development data under data/rwnet (see
medcomp_gui/codecs/rwnet/archive.py for the sources and the split).

First: python scripts/fetch_rwnet_data.py  (packages into data/cache); pydicom-data and
nibabel installed (both come with `make test`'s extras, nibabel with "train"). Usage: python scripts/prepare_rwnet_data.py [--out data/rwnet]
"""

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from medcomp_gui.codecs.rwnet.data import prepare  # noqa: E402

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="data/rwnet")
    parser.add_argument("--cache", default="data/cache")
    args = parser.parse_args()
    slices = prepare(args.out, args.cache)["slices"]
    print(f"{len(slices)} slices")
    for split in ("train", "dev"):
        mine = [s for s in slices if s["split"] == split]
        print(split, len(mine), "images")
        print(" by group:", dict(Counter(s["modality"] for s in mine)))
        print(" simulated by group:", dict(Counter(s["modality"] for s in mine if s["simulated"])))
        print(" by source:", dict(Counter(s["source"].split(":")[0] for s in mine)))
        print(" studies:", len({s["study"] for s in mine}))
        print(" bits:", dict(Counter(s["bits_stored"] for s in mine)))
