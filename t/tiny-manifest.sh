# tiny_manifest [EPOCHS]: a small valid manifest on synthetic data (a conv,
# a linear layer, 4 classes of 12x12 images; seconds to train) for shell
# tests that need some manifest, printed so that a test may append keys.
tiny_manifest() {
    cat <<YAML
name: tiny
seed: 3
data: {loader: synthetic, classes: 4, channels: 1, size: 12, train: 32, val: 16, test: 16}
model:
  input: [1, 12, 12]
  layers: [{conv2d: {out: 4, kernel: 3}}, relu, flatten, {linear: {out: 4}}]
train: {epochs: ${1:-1}, batch: 8}
YAML
}
