# tests: `cnnlab run --jobs N` and `--executor slurm` (docs/cluster.md);
# t/slurm.sh starts a one-node Slurm on localhost (root only, else a skip).
TESTS += t/sweeps-local.sh t/sweeps-slurm-script.sh t/slurm.sh
EXTRA_DIST += t/sweeps-local.sh t/sweeps-slurm-script.sh t/slurm.sh \
	docs/cluster.md
