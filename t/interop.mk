# tests: PyTorch interop — `model.weights`, `cnnlab eval`, the parity of
# cnnlab's forward, gradients and SGD steps with PyTorch's, and the
# analysis API's gradients against autograd.
# t/parity-driver is the C side of t/parity-torch.sh and
# t/gradients-torch.sh (not a test itself).
check_PROGRAMS += t/parity-driver
t_parity_driver_SOURCES = t/parity-driver.c t/parity-driver.h \
	t/parity-gradients.c
t_parity_driver_LDADD = $(CNN_TEST_LIBS)
TESTS += t/interop-cli.sh t/parity-torch.sh t/gradients-torch.sh
EXTRA_DIST += t/interop-cli.sh t/parity-torch.sh t/parity_torch.py \
	t/gradients-torch.sh t/gradients_torch.py \
	experiments/quickstart.yaml
