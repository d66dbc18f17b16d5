# The out-of-tree plugin examples (docs/plugin-guide.md), installed into
# $(docdir)/examples/plugins; t/examples.sh builds them against an
# installed cnnlab with their own Makefiles.
examplesdir = $(docdir)
nobase_dist_examples_DATA = \
	examples/plugins/hardtanh/Makefile \
	examples/plugins/hardtanh/hardtanh.c \
	examples/plugins/hardtanh/hardtanh_kernels.cu \
	examples/plugins/hardtanh/hardtanh_kernels.h \
	examples/plugins/hardtanh/hardtanh.yaml \
	examples/plugins/weight-norms/Makefile \
	examples/plugins/weight-norms/weight_norms.c \
	examples/plugins/weight-norms/weight-norms.yaml \
	examples/plugins/clip-sgd/Makefile \
	examples/plugins/clip-sgd/clip_sgd.c \
	examples/plugins/clip-sgd/clip-sgd.yaml
