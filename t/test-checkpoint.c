/* Checkpoints: a model's parameters survive a save/load round trip
 * exactly; a checkpoint of another model is refused saying what differs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cnnlab/node.h"
#include "cnnlab/registry.h"
#include "model/checkpoint.h"
#include "model/model.h"
#include "run/run_dir.h"
#include "test-util.h"

static const char small_model[] =
    "input: [3, 12, 12]\n"
    "layers:\n"
    "  - conv2d: {out: 4, kernel: 3, activation: relu}\n"
    "  - maxpool2d: {kernel: 2}\n"
    "  - flatten\n"
    "  - linear: {out: 5}\n";

static const char other_model[] =
    "input: [3, 12, 12]\n"
    "layers:\n"
    "  - conv2d: {out: 6, kernel: 3, activation: relu}\n"
    "  - maxpool2d: {kernel: 2}\n"
    "  - flatten\n"
    "  - linear: {out: 5}\n";

static int build(struct cnn_model *model, struct cnn_registry *registry,
                 const char *text, uint64_t seed)
{
    struct cnn_node *node;
    struct cnn_error err = {0};
    if (cnn_node_load_string(text, "model.yaml", &node, &err) < 0) {
        diag("%s", err.message);
        return -1;
    }
    int status = cnn_model_build(model, registry, node, CNN_DEVICE_CPU, &err);
    if (status == 0)
        status = cnn_model_allocate(model, seed, &err);
    if (status < 0)
        diag("%s", err.message);
    cnn_node_free(node);
    return status;
}

int main(void)
{
    struct cnn_registry *registry = cnn_registry_new();
    if (test_load_plugin(registry, "layers.so") != 1) {
        cnn_registry_free(registry);
        return done_testing();
    }
    struct cnn_error err = {0};

    char directory[] = "/tmp/cnnlab-checkpoint.XXXXXX";
    ok(mkdtemp(directory) != NULL, "scratch directory");
    char path[256];
    snprintf(path, sizeof path, "%s/model.safetensors", directory);

    struct cnn_model saved, loaded, other;
    ok(build(&saved, registry, small_model, 11) == 0, "model builds");
    is_int(saved.parameter_count, 4 * 3 * 9 + 4 + 5 * 4 * 5 * 5 + 5,
           "parameter count of conv(4,3) + linear(100→5)");
    ok(build(&loaded, registry, small_model, 12) == 0,
       "same model, another seed");
    ok(memcmp(saved.parameters, loaded.parameters,
              saved.parameter_count * sizeof(float)) != 0,
       "another seed initialises differently");
    ok(cnn_model_save(&saved, path, 3, &err) == 0, "save");
    ok(cnn_model_load(&loaded, path, &err) == 0, "load");
    ok(memcmp(saved.parameters, loaded.parameters,
              saved.parameter_count * sizeof(float)) == 0,
       "round trip restores every parameter bit for bit");

    ok(build(&other, registry, other_model, 11) == 0, "a different model");
    ok(cnn_model_load(&other, path, &err) < 0,
       "its checkpoint is refused for another model");
    like(err.message, "0.weight", "the message names the tensor");
    like(err.message, "layer conv1", "the message names the layer");
    like(err.message, "[4, 3, 3, 3]", "the message gives the file's shape");
    like(err.message, "[6, 3, 3, 3]", "the message gives the model's shape");

    /* A truncated file is refused, and the model keeps its parameters. */
    FILE *file = fopen(path, "r+");
    ok(file && ftruncate(fileno(file), 100) == 0, "truncate the checkpoint");
    if (file)
        fclose(file);
    float before = loaded.parameters[0];
    ok(cnn_model_load(&loaded, path, &err) < 0, "truncated file refused");
    like(err.message, "model.safetensors", "the message names the file");
    is_near(loaded.parameters[0], before, 0, "parameters untouched");

    unlink(path);
    rmdir(directory);
    cnn_model_free(&saved);
    cnn_model_free(&loaded);
    cnn_model_free(&other);
    cnn_registry_free(registry);
    return done_testing();
}
