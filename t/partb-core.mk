# tests: Part B's core side (receptive fields, `cnnlab rf`, model.from and
# runs without training).
check_PROGRAMS += t/test-receptive-field
TESTS += t/test-receptive-field
t_test_receptive_field_SOURCES = t/test-receptive-field.c $(TEST_UTIL_SOURCES)
t_test_receptive_field_LDADD = $(CNN_TEST_LIBS)
TESTS += t/partb-core.sh
EXTRA_DIST += t/partb-core.sh experiments/part-b/occlusion.yaml \
	experiments/part-b/filters.yaml experiments/part-b/ablation.yaml \
	experiments/part-b/attribution.yaml
