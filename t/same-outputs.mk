# tests: the smokes' outputs (quickstart, Part A's best, Part B) have the
# recorded bits (t/same-outputs.sha256, written by scripts/same-outputs
# --record; the script also compares two builds file by file).
TESTS += t/same-outputs.sh
EXTRA_DIST += t/same-outputs.sh t/same-outputs.sha256 scripts/same-outputs
