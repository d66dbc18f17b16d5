/* Analyses check their parameters against the model before training
 * (cnn_analysis_type.validate, ABI 2.3): the built-in hooks give, on a
 * model that is only built, the very message their run gives on the
 * trained one; the core reads the hook only from modules built for 2.3
 * or later, and calls it through cnn_analysis_list_validate. */
#include <stdio.h>

#include "partb-fixture.h"

static const char model_text[] =
    "input: [3, 8, 8]\n"
    "layers:\n"
    "  - conv2d: {out: 4, kernel: 3, padding: 1, activation: relu}\n"
    "  - maxpool2d: {kernel: 2}\n"
    "  - conv2d: {out: 5, kernel: 3, activation: relu}\n"
    "  - flatten\n"
    "  - linear: {out: 3}\n";

/* Checks `type` (one entry, its parameters from `settings`) on `model`
 * the way `cnnlab check` does; returns the status, the error in err. */
static int list_validate(const struct cnn_analysis_type *type,
                         const char *const *settings,
                         struct cnn_model *model,
                         const struct cnn_train_config *train,
                         struct cnn_error *err)
{
    struct cnn_analysis_request item = {
        type, test_params(type->params, type->param_count, type->name,
                          settings),
        {"manifest.yaml", 7, 5}};
    struct cnn_analysis_list list = {1, &item};
    cnn_error_clear(err);
    int status =
        cnn_analysis_list_validate(&list, model, train, "main", 1, err);
    cnn_params_free(&item.params);
    return status;
}

struct mistake {
    const char *analysis;
    const char *settings[3];
    const char *needle; /* part of the message, so a wrong one fails */
};

/* Each mistake fails the run on trained weights, and the check on a model
 * that is only built, with the same message. */
static void same_message(struct fixture *f, struct cnn_model *built)
{
    static const struct mistake mistakes[] = {
        {"filters", {"layers=[conv2, cnv1]"},
         "the model has no layer 'cnv1'; did you mean 'conv1'?"},
        {"ablation", {"layers=[pool1]"},
         "layer 'pool1' (maxpool2d) has no filters (layers with filters: "
         "conv1, conv2, fc1)"},
        {"filters", {"layers=[conv1]", "filters=[7]"},
         "layer conv1 (conv2d) has filters 0..3, not 7"},
        {"occlusion", {"fill=[1, 2]"}, "fill has 2 values, the images 3"},
        {"occlusion", {"window=20", "border=valid"},
         "a 20x20 window does not fit the 8x8 images"},
    };
    for (size_t i = 0; i < sizeof mistakes / sizeof *mistakes; i++) {
        const struct mistake *m = &mistakes[i];
        const struct cnn_analysis_type *type =
            cnn_registry_analysis(f->registry, m->analysis);
        struct cnn_error at_run = {0}, at_check = {0};
        ok(fixture_run(f, m->analysis, m->settings, &at_run) < 0,
           "%s %s: the run fails", m->analysis, m->settings[0]);
        like(at_run.message, m->needle, "%s %s: the run says why",
             m->analysis, m->settings[0]);
        ok(type && type->validate &&
               list_validate(type, m->settings, built, &f->train,
                             &at_check) < 0,
           "%s %s: the check fails before training", m->analysis,
           m->settings[0]);
        is_str(at_check.message, at_run.message,
               "%s %s: with the run's message", m->analysis, m->settings[0]);
    }
    /* A place-less mistake is placed at the analysis's entry. */
    const struct cnn_analysis_type *occlusion =
        cnn_registry_analysis(f->registry, "occlusion");
    const char *const fill[] = {"fill=[1, 2]", NULL};
    struct cnn_error err = {0};
    list_validate(occlusion, fill, built, &f->train, &err);
    ok(strcmp(err.file, "manifest.yaml") == 0 && err.line == 7 &&
           err.column == 5,
       "a mistake without a place is the entry's (%s:%d:%d)", err.file,
       err.line, err.column);

    /* What fits passes; so does every built-in analysis's default. */
    static const char *const good[][4] = {
        {"filters", "layers=[conv2, fc1]", "filters=[0, 2]"},
        {"ablation", "layers=[conv1]", NULL},
        {"occlusion", "fill=[1, 2, 3]", "window=3"},
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        const struct cnn_analysis_type *type =
            cnn_registry_analysis(f->registry, good[i][0]);
        ok(type && list_validate(type, good[i] + 1, built, &f->train,
                                 &err) == 0,
           "%s %s: passes the check (%s)", good[i][0], good[i][1],
           err.message);
    }
    static const char *const names[] = {"summary", "classwise", "curves",
                                        "timing", "occlusion", "filters",
                                        "ablation"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        const struct cnn_analysis_type *type =
            cnn_registry_analysis(f->registry, names[i]);
        ok(type && list_validate(type, NULL, built, &f->train, &err) == 0,
           "%s with its defaults passes the check (%s)", names[i],
           err.message);
    }
}

/* A module's own validate hook (t/plugins/analysis-hook.c) is called by
 * the check, with the built model. */
static void module_hook(const char *directory, struct cnn_model *built,
                        const struct cnn_train_config *train)
{
    struct cnn_registry *registry = cnn_registry_new();
    struct cnn_error err = {0};
    char path[4096];
    snprintf(path, sizeof path, "%s/analysis-hook.so", directory);
    ok(registry && cnn_registry_load_module(registry, path, &err) == 0,
       "the analysis-hook module loads (%s)", err.message);
    const struct cnn_analysis_type *type =
        registry ? cnn_registry_analysis(registry, "analysis-hook") : NULL;
    ok(type && type->validate, "its validate hook is registered");
    ok(type && list_validate(type, NULL, built, train, &err) == 0,
       "the hook passes its defaults (%s)", err.message);
    const char *const refuse[] = {"refuse=true", NULL};
    ok(type && list_validate(type, refuse, built, train, &err) < 0,
       "the check calls the hook");
    is_str(err.message,
           "analysis-hook: refused before training (a model of 5 layers)",
           "the hook saw the built model");
    cnn_registry_free(registry);
}

int main(void)
{
    struct fixture f;
    int ready = fixture_open(&f, model_text, 3, 4, 3, NULL);
    if (ready != 1) {
        fixture_close(&f);
        return done_testing();
    }
    /* The model as `cnnlab check` has it: built, weights not allocated. */
    struct cnn_model built;
    struct cnn_node *node = NULL;
    struct cnn_error err = {0};
    int status = cnn_node_load_string(model_text, "model.yaml", &node, &err);
    if (status == 0)
        status = cnn_model_build(&built, f.registry, node, CNN_DEVICE_CPU,
                                 &err);
    cnn_node_free(node);
    ok(status == 0, "the model builds without weights (%s)", err.message);
    if (status == 0) {
        ok(built.parameters == NULL, "no weights are allocated");
        same_message(&f, &built);
        const char *plugins = test_directory("CNNLAB_TEST_PLUGIN_DIR",
                                             "the analysis-hook module");
        if (plugins)
            module_hook(plugins, &built, &f.train);
        cnn_model_free(&built);
    }
    fixture_close(&f);
    return done_testing();
}
