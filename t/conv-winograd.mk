# tests: conv2d's Winograd F(2x2, 3x3) forward against the direct oneDNN
# forward and the float64 reference (plugins/layers/conv2d/conv2d_winograd.c).
check_PROGRAMS += t/test-conv-winograd
TESTS += t/test-conv-winograd
t_test_conv_winograd_SOURCES = t/test-conv-winograd.c t/tap.h \
	t/layer-harness.c t/layer-harness.h \
	t/layer-reference.c t/layer-reference.h
t_test_conv_winograd_LDADD = $(CNN_TEST_LIBS)

# The forward's own matrix product (plugins/layers/conv2d/conv2d_winograd_gemm.c,
# compiled in: it is internal to the layers module).
check_PROGRAMS += t/test-winograd-gemm
TESTS += t/test-winograd-gemm
t_test_winograd_gemm_SOURCES = t/test-winograd-gemm.c t/tap.h \
	plugins/layers/conv2d/conv2d_winograd_gemm.c
t_test_winograd_gemm_LDADD = $(LIBM)

# The 3x3 input transform's columns for narrow chunks
# (plugins/layers/conv2d/conv2d_winograd_narrow.c, compiled in; the product
# kernel's file for its CPU check).
check_PROGRAMS += t/test-winograd-narrow
TESTS += t/test-winograd-narrow
t_test_winograd_narrow_SOURCES = t/test-winograd-narrow.c t/tap.h \
	plugins/layers/conv2d/conv2d_winograd_narrow.c \
	plugins/layers/conv2d/conv2d_winograd_gemm.c
t_test_winograd_narrow_LDADD = $(LIBM)
