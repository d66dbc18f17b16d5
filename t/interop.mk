# tests: PyTorch interop — `model.weights`, `cnnlab eval`, and the parity of
# cnnlab's forward, gradients and SGD steps with PyTorch's.
# t/parity-driver is the C side of t/parity-torch.sh (not a test itself).
check_PROGRAMS += t/parity-driver
t_parity_driver_SOURCES = t/parity-driver.c
t_parity_driver_LDADD = $(CNN_TEST_LIBS)
TESTS += t/interop-cli.sh t/parity-torch.sh
EXTRA_DIST += t/interop-cli.sh t/parity-torch.sh t/parity_torch.py \
	experiments/quickstart.yaml
