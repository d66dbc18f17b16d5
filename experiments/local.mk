# The study's manifests, installed as examples into
# $(pkgdatadir)/experiments with their layout, so that references between
# them (`model: {from: part-a/best}`) still resolve.
nobase_dist_pkgdata_DATA = experiments/quickstart.yaml \
	experiments/part-a/conv-layers.yaml experiments/part-a/fc-layers.yaml \
	experiments/part-a/filters.yaml experiments/part-a/maxpool.yaml \
	experiments/part-a/epochs.yaml experiments/part-a/stride.yaml \
	experiments/part-a/best.yaml \
	experiments/part-b/occlusion.yaml experiments/part-b/filters.yaml \
	experiments/part-b/ablation.yaml experiments/part-b/attribution.yaml \
	experiments/part-c/batch-size.yaml \
	experiments/part-c/regularisation.yaml \
	experiments/part-c/transfer.yaml experiments/part-c/kernel-size.yaml
