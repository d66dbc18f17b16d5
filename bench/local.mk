# Benchmarks against PyTorch (bench/quickstart.sh runs them); built by
# `make` but not installed.
noinst_PROGRAMS = bench/train-steps
bench_train_steps_SOURCES = bench/train_steps.c
bench_train_steps_LDADD = libcnnlab.la $(LIBM)
EXTRA_DIST += bench/quickstart.sh bench/quickstart_torch.py bench/RESULTS.md
