# The out-of-tree plugin examples (docs/plugin-guide.md), installed into
# $(docdir)/examples/plugins; t/examples.sh builds them against an
# installed cnnlab with their own Makefiles.
examplesdir = $(docdir)
nobase_dist_examples_DATA = \
	examples/plugins/leaky-relu/Makefile \
	examples/plugins/leaky-relu/leaky_relu.c \
	examples/plugins/leaky-relu/leaky_relu_kernels.cu \
	examples/plugins/leaky-relu/leaky_relu_kernels.h \
	examples/plugins/leaky-relu/leaky-relu.yaml \
	examples/plugins/weight-norms/Makefile \
	examples/plugins/weight-norms/weight_norms.c \
	examples/plugins/weight-norms/weight-norms.yaml \
	examples/plugins/clip-sgd/Makefile \
	examples/plugins/clip-sgd/clip_sgd.c \
	examples/plugins/clip-sgd/clip-sgd.yaml
