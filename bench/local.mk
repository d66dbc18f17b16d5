# Benchmarks against PyTorch (bench/quickstart.sh runs them); built by
# `make` but not installed.
noinst_PROGRAMS = bench/train-steps bench/sgemm-peak bench/occlusion-time \
	bench/winograd-gemm bench/attribution-time
bench_train_steps_SOURCES = bench/train_steps.c bench/bench_common.c \
	bench/bench_common.h
bench_train_steps_LDADD = $(CNN_INTERNAL_LIBS) $(LIBM)
# bench/vs-pytorch's ceiling: oneDNN's sgemm, on OpenMP threads like the
# layers module.
bench_sgemm_peak_SOURCES = bench/sgemm_peak.c
bench_sgemm_peak_CFLAGS = $(AM_CFLAGS) $(OPENMP_CFLAGS)
bench_sgemm_peak_LDFLAGS = $(OPENMP_CFLAGS)
bench_sgemm_peak_LDADD = -ldnnl
# The Winograd forward's product kernel against dnnl_sgemm (the kernel's
# source built in: it is internal to the layers module).
bench_winograd_gemm_SOURCES = bench/winograd_gemm.c \
	plugins/layers/conv2d/conv2d_winograd_gemm.c
bench_winograd_gemm_CFLAGS = $(AM_CFLAGS) $(OPENMP_CFLAGS)
bench_winograd_gemm_LDFLAGS = $(OPENMP_CFLAGS)
bench_winograd_gemm_LDADD = -ldnnl $(LIBM)
# bench/occlusion's cnnlab side: the analysis's engines, built in, with
# OpenMP as in the analyses module (the incremental engine copies its
# crops on the model's threads).
bench_occlusion_time_SOURCES = bench/occlusion_time.c \
	bench/bench_common.c bench/bench_common.h \
	plugins/analyses/occlusion_incremental.c \
	plugins/analyses/occlusion_cone.c \
	plugins/analyses/occlusion_brute.c
bench_occlusion_time_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/plugins/analyses
bench_occlusion_time_CFLAGS = $(AM_CFLAGS) $(OPENMP_CFLAGS)
bench_occlusion_time_LDFLAGS = $(OPENMP_CFLAGS) $(CNN_PROGRAM_LDFLAGS)
bench_occlusion_time_LDADD = $(CNN_INTERNAL_LIBS) $(LIBM)
# bench/attribution's cnnlab side: the attribution analyses' methods,
# built in with what they draw and write with (cairo), as in the module.
bench_attribution_time_SOURCES = bench/attribution_time.c \
	bench/bench_common.c bench/bench_common.h \
	plugins/analyses/saliency.c plugins/analyses/gradcam.c \
	plugins/analyses/integrated_gradients.c \
	plugins/analyses/attribution_set.c \
	plugins/analyses/attribution_figure.c plugins/analyses/map_files.c \
	plugins/analyses/test_images.c plugins/analyses/picture.c \
	plugins/analyses/text.c
bench_attribution_time_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(srcdir)/plugins/analyses $(CAIRO_CFLAGS)
bench_attribution_time_LDFLAGS = $(CNN_PROGRAM_LDFLAGS)
bench_attribution_time_LDADD = $(CNN_INTERNAL_LIBS) $(CAIRO_LIBS) $(LIBM)
EXTRA_DIST += bench/quickstart.sh bench/quickstart_torch.py bench/RESULTS.md \
	bench/gpu bench/gpu.yaml bench/gpu_torch.py \
	bench/vs-pytorch bench/vs_pytorch_torch.py \
	bench/occlusion bench/occlusion_torch.py \
	bench/attribution bench/attribution_torch.py
