# tests: experiment tables (cnnlab table, the tables cnnlab run writes)
TESTS += t/table.sh
EXTRA_DIST += t/table.sh
# The statistics of repeated runs against scipy's values.
check_PROGRAMS += t/test-statistics
TESTS += t/test-statistics
t_test_statistics_SOURCES = t/test-statistics.c t/tap.h
t_test_statistics_LDADD = $(CNN_TEST_LIBS)
# Repeated runs (seeds:, repeats:): a run per variant and seed, the same
# split for every seed, and skipping, --resume, --jobs, the Slurm array,
# the table and the pages per seed.
TESTS += t/seeds.sh t/weights-variant.sh
EXTRA_DIST += t/seeds.sh t/weights-variant.sh
# The table with seeds: n, mean ± std recomputed from the runs, a missing
# seed, table.compare's interval and McNemar's test against scipy.
TESTS += t/table-seeds.sh
EXTRA_DIST += t/table-seeds.sh
