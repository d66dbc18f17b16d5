# tests: the attribution analyses (issue 22): gradients through the
# analysis API, saliency, Grad-CAM, integrated gradients, faithfulness.
check_PROGRAMS += t/test-analysis-gradient
TESTS += t/test-analysis-gradient
t_test_analysis_gradient_SOURCES = t/test-analysis-gradient.c \
	t/partb-fixture.h $(TEST_UTIL_SOURCES)
t_test_analysis_gradient_LDADD = $(CNN_TEST_LIBS)
TESTS += t/attribution-torch.sh
EXTRA_DIST += t/attribution-torch.sh t/attribution_torch.py
check_PROGRAMS += t/test-attribution
TESTS += t/test-attribution
t_test_attribution_SOURCES = t/test-attribution.c t/partb-fixture.h \
	$(TEST_UTIL_SOURCES)
t_test_attribution_LDADD = $(CNN_TEST_LIBS)
check_PROGRAMS += t/test-faithfulness
TESTS += t/test-faithfulness
t_test_faithfulness_SOURCES = t/test-faithfulness.c t/partb-fixture.h \
	$(TEST_UTIL_SOURCES)
t_test_faithfulness_LDADD = $(CNN_TEST_LIBS)
TESTS += t/attribution-smoke.sh
EXTRA_DIST += t/attribution-smoke.sh experiments/part-b/attribution.yaml
# CUDA against the CPU; skips without a GPU.
if HAVE_CUDA
check_PROGRAMS += t/test-cuda-gradient
TESTS += t/test-cuda-gradient
endif
t_test_cuda_gradient_SOURCES = t/test-cuda-gradient.c $(TEST_UTIL_SOURCES)
t_test_cuda_gradient_LDADD = $(CNN_TEST_LIBS)
