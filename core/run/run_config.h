/* cnnlab — a resolved manifest tree turned into what a run needs, every
 * key checked against the core's and the components' schemas. */
#ifndef CNNLAB_RUN_CONFIG_H
#define CNNLAB_RUN_CONFIG_H

#include "analysis/analysis.h"
#include "cnnlab/registry.h"
#include "train/train.h"

struct cnn_run_config {
    uint64_t seed;
    enum cnn_device device;
    const struct cnn_device_type *device_type; /* NULL: the CPU */
    struct cnn_device_options device_options;  /* the `cuda:` section */
    int threads;                  /* resolved: never 0 */
    const struct cnn_loader_type *loader;
    struct cnn_params loader_params;
    long limit;
    uint64_t split_seed;          /* data.split_seed: the loader's seed */
    const struct cnn_node *model_node; /* points into the resolved tree */
    struct cnn_params train_params;    /* train's own keys (freeze...) */
    struct cnn_params loss_params, optimizer_params;
    void *loss_settings, *optimizer_settings; /* parsed from the above */
    struct cnn_train_config train;     /* its pointers refer to the above */
    struct cnn_analysis_list analyses; /* `analyses:`, checked */
};

int cnn_run_config_parse(struct cnn_run_config *config,
                         const struct cnn_registry *registry,
                         const struct cnn_node *resolved,
                         struct cnn_error *err);
void cnn_run_config_free(struct cnn_run_config *config);

/* train's own keys (epochs, batch, ..., freeze) checked into `params`,
 * without its components: for what builds a model without the rest of
 * the run (`cnnlab summary` reads train.freeze from them). */
int cnn_run_config_train_keys(struct cnn_params *params,
                              const struct cnn_node *resolved,
                              struct cnn_error *err);

#endif
