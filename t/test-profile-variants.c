/* A profile's settings for one variant (`profiles: {P: {variants: {V:
 * {...}}}}`): merged after the profile, for that variant only, before the
 * command line's overrides; the rest of the profile still reaches every
 * variant, and `variants` never reaches a resolved manifest. Each mistake
 * (an unknown variant, a list, a scalar, a key a variant may not set) is
 * refused at its file:line:column. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cnnlab/node.h"
#include "config/manifest.h"
#include "tap.h"

static char formatted[4096];

static const char *message_of(const struct cnn_error *err)
{
    return cnn_error_format(err, formatted, sizeof formatted);
}

static const char manifest_text[] =
    "name: profile-variants\n"
    "data: {loader: synthetic, classes: 10, labels: [5, 6]}\n"
    "model:\n"
    "  input: [3, 8, 8]\n"
    "  layers: [globalpool, {linear: {out: 2}}]\n"
    "train: {epochs: 1, batch: 4}\n"
    "variants:\n"
    "  - name: pretrain\n"
    "    data: {labels: [0, 1]}\n"
    "  - name: tune\n"
    "profiles:\n"
    "  tasks:\n"
    "    train: {epochs: 2}\n"
    "    variants:\n"
    "      pretrain: {data: {labels: [2, 3]}, train: {epochs: 5}}\n"
    "  misspelt:\n"
    "    variants: {pretrian: {train: {epochs: 5}}}\n"
    "  listed:\n"
    "    variants: [pretrain]\n"
    "  scalar:\n"
    "    variants: {tune: 5}\n"
    "  table:\n"
    "    variants: {tune: {table: {compare: pretrain}}}\n"
    "  typo:\n"
    "    variants: {tune: {trian: {epochs: 5}}}\n";

static char path[] = "/tmp/cnnlab-profile-variants-XXXXXX.yaml";

static const char *text_at(const struct cnn_manifest *manifest, int v,
                           const char *dotted)
{
    const struct cnn_node *node =
        cnn_node_get_path(manifest->variants[v].resolved, dotted);
    return node && node->kind == CNN_NODE_SCALAR ? node->text : "(none)";
}

/* The resolved `data.labels` of variant v as "a b". */
static const char *labels_of(const struct cnn_manifest *manifest, int v)
{
    static char text[64];
    const struct cnn_node *list =
        cnn_node_get_path(manifest->variants[v].resolved, "data.labels");
    text[0] = '\0';
    for (int i = 0; list && i < list->count; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%s%s",
                 i ? " " : "", list->items[i]->text);
    return text;
}

static void test_merge_order(void)
{
    struct cnn_manifest manifest;
    struct cnn_error err = {0};
    if (!ok(cnn_manifest_load(&manifest, path, "tasks", NULL, 0, &err) == 0,
            "--profile tasks loads (%s)", message_of(&err)))
        return;
    is_str(manifest.variants[0].name, "pretrain", "variant 0 is pretrain");
    is_str(labels_of(&manifest, 0), "2 3",
           "pretrain: the profile's labels for it replace its own");
    is_str(text_at(&manifest, 0, "train.epochs"), "5",
           "pretrain: the profile's epochs for it win over the profile's "
           "shared ones");
    is_str(labels_of(&manifest, 1), "5 6", "tune: the manifest's labels");
    is_str(text_at(&manifest, 1, "train.epochs"), "2",
           "tune: the profile's shared epochs");
    ok(!cnn_node_get(manifest.variants[0].resolved, "variants")
           && !cnn_node_get(manifest.variants[1].resolved, "variants"),
       "no resolved manifest holds 'variants'");
    cnn_manifest_free(&manifest);

    const char *overrides[] = {"train.epochs=7"};
    if (ok(cnn_manifest_load(&manifest, path, "tasks", overrides, 1, &err)
               == 0,
           "with an override (%s)", message_of(&err))) {
        is_str(text_at(&manifest, 0, "train.epochs"), "7",
               "the command line's override comes after the profile's "
               "settings for a variant");
        cnn_manifest_free(&manifest);
    }
    if (ok(cnn_manifest_load(&manifest, path, NULL, NULL, 0, &err) == 0,
           "without a profile (%s)", message_of(&err))) {
        is_str(labels_of(&manifest, 0), "0 1",
               "pretrain: its own labels without the profile");
        cnn_manifest_free(&manifest);
    }
}

static void refused(const char *profile, int line, int column,
                    const char *expected)
{
    struct cnn_manifest manifest;
    struct cnn_error err = {0};
    int status = cnn_manifest_load(&manifest, path, profile, NULL, 0, &err);
    char where[600];
    snprintf(where, sizeof where, "%s:%d:%d: ", path, line, column);
    const char *message = message_of(&err);
    ok(status == -1 && strncmp(message, where, strlen(where)) == 0
           && strstr(message, expected),
       "profile '%s' is refused at line %d, column %d, saying '%s' (%s)",
       profile, line, column, expected, message);
    if (status == 0)
        cnn_manifest_free(&manifest);
}

int main(void)
{
    int fd = mkstemps(path, 5);
    if (fd < 0 || write(fd, manifest_text, sizeof manifest_text - 1)
                      != (ssize_t)(sizeof manifest_text - 1)) {
        printf("Bail out! cannot write %s\n", path);
        return 1;
    }
    close(fd);
    test_merge_order();
    refused("misspelt", 17, 16,
            "profile 'misspelt' sets variant 'pretrian', which the manifest "
            "does not have; did you mean 'pretrain'? (it has: pretrain, "
            "tune)");
    refused("listed", 19, 15, "'variants' maps variant names to their "
                              "settings");
    refused("scalar", 21, 22, "profile 'scalar', variant 'tune': give a "
                              "mapping of settings");
    refused("table", 23, 23, "'table' sets the experiment's table, not a "
                             "variant's");
    refused("typo", 25, 23, "unknown key 'trian' in profile 'typo', variant "
                            "'tune'; did you mean 'train'?");
    unlink(path);
    return done_testing();
}
