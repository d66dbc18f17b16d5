# tests: 20 training steps on CUDA through the core's step (upload, graph
# capture and replay) against the same steps on the CPU. Skips without a
# GPU.
if HAVE_CUDA
check_PROGRAMS += t/test-cuda-train
TESTS += t/test-cuda-train
endif
t_test_cuda_train_SOURCES = t/test-cuda-train.c $(TEST_UTIL_SOURCES)
t_test_cuda_train_LDADD = $(CNN_TEST_LIBS)
