"""What the RWNet tests share: the registered codec, which must be available."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def codec():
    from medcomp_gui.codecs import get_codec

    rwnet = get_codec("rwnet")
    if (missing := rwnet.availability()) is not None:
        pytest.fail(missing)
    return rwnet
