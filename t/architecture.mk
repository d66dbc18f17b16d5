# tests: the architecture the build promises (docs/design.md): the core's
# folders include only the folders before them, plugins include only the
# public headers, and libcnnlab exports exactly the public functions.
TESTS += t/include-layers.sh t/plugin-boundary.sh t/public-symbols.sh
EXTRA_DIST += t/include-layers.sh t/plugin-boundary.sh t/public-symbols.sh
