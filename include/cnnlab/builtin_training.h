/* cnnlab — the settings of the built-in losses and optimizers, as their
 * definitions parse them from the manifest (once, when it is validated).
 * Every device's kernels read these fields: the CPU's in plugins/optim and
 * plugins/losses, the CUDA module's in plugins/cuda. A setting added here
 * is parsed in one place and read by each kernel; nothing looks it up by
 * name during training. */
#ifndef CNNLAB_BUILTIN_TRAINING_H
#define CNNLAB_BUILTIN_TRAINING_H

#ifdef __cplusplus
extern "C" {
#endif

/* `sgd`: PyTorch's torch.optim.SGD. The values are in float, as PyTorch
 * rounds its scalars for float32 tensors; lr is before the schedule's
 * factor. */
struct cnn_sgd_settings {
    float lr;
    float momentum;     /* 0: plain SGD, no state */
    float dampening;
    float weight_decay; /* L2 penalty added to the gradient */
    int nesterov;       /* parse checks momentum > 0 and dampening 0 */
};

/* `adam`: PyTorch's torch.optim.Adam, or AdamW when decoupled. In double:
 * the scalars of a step are computed in double and rounded once. */
struct cnn_adam_settings {
    double lr;
    double beta1, beta2; /* each in [0, 1) */
    double eps;          /* > 0 */
    double weight_decay;
    int decoupled;       /* AdamW: the weights shrink by lr * weight_decay */
    int amsgrad;         /* one more float of state per parameter */
};

/* `cross-entropy`: PyTorch's nn.CrossEntropyLoss, mean reduction. */
struct cnn_cross_entropy_settings {
    double label_smoothing; /* 0: none, 1: a uniform target */
};

#ifdef __cplusplus
}
#endif
#endif
