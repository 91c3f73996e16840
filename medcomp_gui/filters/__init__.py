"""Image filters: adaptive non-local means (:mod:`.anlm`), local noise maps (:mod:`.noise`)."""
