# tests: Part A — the merge rules its profiles use (and a profile's
# settings for one variant), every Part A manifest
# under --profile smoke, and `cnnlab summary` against torchsummary/PyTorch.
check_PROGRAMS += t/test-node-merge
TESTS += t/test-node-merge
t_test_node_merge_SOURCES = t/test-node-merge.c t/tap.h
t_test_node_merge_LDADD = $(CNN_TEST_LIBS)
check_PROGRAMS += t/test-profile-variants
TESTS += t/test-profile-variants
t_test_profile_variants_SOURCES = t/test-profile-variants.c t/tap.h
t_test_profile_variants_LDADD = $(CNN_TEST_LIBS)
check_PROGRAMS += t/test-summary
TESTS += t/test-summary
t_test_summary_SOURCES = t/test-summary.c $(TEST_UTIL_SOURCES)
t_test_summary_LDADD = $(CNN_TEST_LIBS)
TESTS += t/part-a-smoke.sh t/summary.sh
EXTRA_DIST += t/part-a-smoke.sh t/summary.sh t/summary-reference.py \
	experiments/part-a/conv-layers.yaml experiments/part-a/fc-layers.yaml \
	experiments/part-a/filters.yaml experiments/part-a/maxpool.yaml \
	experiments/part-a/epochs.yaml experiments/part-a/stride.yaml \
	experiments/part-a/best.yaml
# Part C: the study's future work (experiments/part-c).
TESTS += t/part-c-smoke.sh t/part-c-transfer-default.sh
EXTRA_DIST += t/part-c-smoke.sh t/part-c-transfer.sh \
	t/part-c-transfer-default.sh \
	experiments/part-c/batch-size.yaml experiments/part-c/transfer.yaml \
	experiments/part-c/kernel-size.yaml \
	experiments/part-c/regularisation.yaml
