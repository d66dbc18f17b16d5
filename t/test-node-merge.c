/* Tests of the merge rules that variants and profiles use beyond "maps
 * merge, the rest replaces": a `replace: true` marker makes a mapping
 * replace instead of merge, and a mapping with integer keys merges into
 * the items of a list ({-1: ...} is the last item). Also through a whole
 * manifest: a profile that swaps the loader and the class count of every
 * variant's last layer. */
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

static struct cnn_node *load(const char *text, const char *name)
{
    struct cnn_node *root = NULL;
    struct cnn_error err = {0};
    if (cnn_node_load_string(text, name, &root, &err) != 0) {
        printf("Bail out! fixture '%s' does not load: %s\n", name,
               message_of(&err));
        exit(1);
    }
    return root;
}

/* Merges overlay text into base text and compares with expected text. */
static void merges_to(const char *base_text, const char *overlay_text,
                      const char *expected_text, const char *what)
{
    struct cnn_node *base = load(base_text, "base.yaml");
    struct cnn_node *overlay = load(overlay_text, "overlay.yaml");
    struct cnn_node *expected = load(expected_text, "expected.yaml");
    struct cnn_node *overlay_before = cnn_node_clone(overlay);
    struct cnn_error err = {0};
    int status = cnn_node_merge(base, overlay, &err);
    if (!ok(status == 0, "merges: %s", what))
        diag("%s", message_of(&err));
    if (!ok(cnn_node_equal(base, expected), "result: %s", what)) {
        printf("# got:\n");
        cnn_node_write(base, stdout);
    }
    ok(cnn_node_equal(overlay, overlay_before), "overlay unchanged: %s",
       what);
    cnn_node_free(base);
    cnn_node_free(overlay);
    cnn_node_free(expected);
    cnn_node_free(overlay_before);
}

static void merge_fails(const char *base_text, const char *overlay_text,
                        const char *expected_message, const char *what)
{
    struct cnn_node *base = load(base_text, "base.yaml");
    struct cnn_node *overlay = load(overlay_text, "overlay.yaml");
    struct cnn_error err = {0};
    ok(cnn_node_merge(base, overlay, &err) == -1, "refused: %s", what);
    is_str(message_of(&err), expected_message, "message: %s", what);
    cnn_node_free(base);
    cnn_node_free(overlay);
}

static void test_replace_marker(void)
{
    merges_to("data: {loader: imagefolder, root: x, size: 84, cache: c}\n"
              "seed: 1\n",
              "data: {replace: true, loader: idx, size: 84}\n",
              "data: {loader: idx, size: 84}\nseed: 1\n",
              "replace: true drops the keys the overlay does not give");
    merges_to("data: {loader: imagefolder, root: x}\n",
              "data: {replace: false, root: y}\n",
              "data: {loader: imagefolder, root: y}\n",
              "replace: false merges, and the marker goes");
    merges_to("seed: 1\n",
              "data: {replace: true, loader: idx, "
              "opts: {replace: true, a: 1}}\n",
              "seed: 1\ndata: {loader: idx, opts: {a: 1}}\n",
              "markers in a new subtree are removed at every depth");
    merges_to("train: {optimizer: {sgd: {lr: 0.1}}}\n",
              "train: {optimizer: {replace: true, adam: {lr: 0.01}}}\n",
              "train: {optimizer: {adam: {lr: 0.01}}}\n",
              "a one-key component map swapped for another");
    merges_to("data: [1, 2]\n", "data: {replace: true, a: 1}\n",
              "data: {a: 1}\n", "a marked map replaces a list");

    /* The top level itself, in place: the caller's pointer stays valid. */
    struct cnn_node *base = load("a: 1\nb: 2\n", "base.yaml");
    struct cnn_node *overlay = load("replace: true\nc: 3\n", "o.yaml");
    struct cnn_node *expected = load("c: 3\n", "e.yaml");
    struct cnn_error err = {0};
    ok(cnn_node_merge(base, overlay, &err) == 0 &&
           cnn_node_equal(base, expected),
       "a marked top-level overlay replaces the base in place");
    cnn_node_free(base);
    cnn_node_free(overlay);
    cnn_node_free(expected);

    merge_fails("data: {loader: x}\n", "data: {replace: maybe, loader: y}\n",
                "overlay.yaml:1:17: 'replace' in an override mapping is "
                "reserved: 'replace: true' makes the mapping replace the one "
                "it overrides instead of merging into it; its value must be "
                "true or false",
                "a marker that is not true or false");
    merge_fails("seed: 1\n", "data: {opts: {replace: 'true'}}\n",
                "overlay.yaml:1:24: 'replace' in an override mapping is "
                "reserved: 'replace: true' makes the mapping replace the one "
                "it overrides instead of merging into it; its value must be "
                "true or false",
                "a quoted marker inside a new subtree");
    merge_fails("data: {loader: x}\n", "data: {replace: [true]}\n",
                "overlay.yaml:1:17: 'replace' in an override mapping is "
                "reserved: 'replace: true' makes the mapping replace the one "
                "it overrides instead of merging into it; its value must be "
                "true or false",
                "a marker that is a list");
}

static void test_index_maps(void)
{
    merges_to("layers: [relu, {linear: {out: 33, activation: none}}]\n",
              "layers: {-1: {linear: {out: 10}}}\n",
              "layers: [relu, {linear: {out: 10, activation: none}}]\n",
              "-1 merges into the last item");
    merges_to("layers: [a, b, c]\n", "layers: {0: x, '-2': y}\n",
              "layers: [x, y, c]\n",
              "0 is the first item, -2 the one before last; scalars replace");
    merges_to("layers: [{conv2d: {out: 8, kernel: 3}}]\n",
              "layers: {0: {replace: true, maxpool2d: {kernel: 2}}}\n",
              "layers: [{maxpool2d: {kernel: 2}}]\n",
              "a marked item replaces the item");
    merges_to("list: [[1, 2], [3]]\n", "list: {1: {0: 4}}\n",
              "list: [[1, 2], [4]]\n", "index maps nest into nested lists");
    merges_to("list: [1, 2]\n", "list: {a: 1}\n", "list: {a: 1}\n",
              "a map with other keys still replaces a list");
    merges_to("list: [1, 2]\n", "list: {}\n", "list: {}\n",
              "an empty map replaces a list");
    merges_to("list: [1, 2]\n", "list: [3]\n", "list: [3]\n",
              "a list still replaces a list");
    merge_fails("layers: [a, b, c]\n", "layers: {3: x}\n",
                "overlay.yaml:1:10: list index 3 is out of range: the list "
                "(at line 1) has 3 items, so indexes run from 0 to 2, or "
                "from -3 to -1 counting from the end",
                "an index past the end");
    merge_fails("layers: [a, b, c]\n", "layers: {-4: x}\n",
                "overlay.yaml:1:10: list index -4 is out of range: the list "
                "(at line 1) has 3 items, so indexes run from 0 to 2, or "
                "from -3 to -1 counting from the end",
                "an index before the start");
}

static const char manifest_text[] =
    "name: merge-test\n"
    "data: {loader: imagefolder, root: data/x, size: 84, cache: c.bin}\n"
    "model:\n"
    "  input: [3, 84, 84]\n"
    "  layers:\n"
    "    - conv2d: {out: 8, kernel: 5, activation: relu}\n"
    "    - globalpool\n"
    "    - linear: {out: 33}\n"
    "train: {epochs: 100, batch: 4}\n"
    "variants:\n"
    "  - name: base\n"
    "  - name: deeper\n"
    "    model:\n"
    "      layers:\n"
    "        - conv2d: {out: 8, kernel: 5, activation: relu}\n"
    "        - globalpool\n"
    "        - linear: {out: 16, activation: relu}\n"
    "        - linear: {out: 33}\n"
    "profiles:\n"
    "  fashion:\n"
    "    data: {replace: true, loader: idx, size: 84, channels: 3}\n"
    "    model: {layers: {-1: {linear: {out: 10}}}}\n"
    "    train: {epochs: 3}\n"
    "  broken:\n"
    "    model: {layers: {5: {linear: {out: 10}}}}\n";

static void test_manifest(void)
{
    char path[] = "/tmp/cnnlab-merge-XXXXXX.yaml";
    int fd = mkstemps(path, 5);
    if (fd < 0 || write(fd, manifest_text, sizeof manifest_text - 1) !=
                      (ssize_t)(sizeof manifest_text - 1)) {
        printf("Bail out! cannot write %s\n", path);
        exit(1);
    }
    close(fd);
    struct cnn_manifest manifest;
    struct cnn_error err = {0};
    int status = cnn_manifest_load(&manifest, path, "fashion", NULL, 0, &err);
    if (!ok(status == 0, "the manifest loads with --profile fashion")) {
        diag("%s", message_of(&err));
        unlink(path);
        return;
    }
    is_int(manifest.variant_count, 2, "two variants");
    struct cnn_node *want_data = load("{loader: idx, size: 84, channels: 3}",
                                      "want.yaml");
    for (int v = 0; v < manifest.variant_count; v++) {
        const struct cnn_node *resolved = manifest.variants[v].resolved;
        const char *name = manifest.variants[v].name;
        ok(cnn_node_equal(cnn_node_get(resolved, "data"), want_data),
           "%s: the profile's data replaced the base's", name);
        const struct cnn_node *layers = cnn_node_get_path(resolved,
                                                          "model.layers");
        int count = layers ? layers->count : 0;
        is_int(count, v == 0 ? 3 : 4, "%s: the variant's layers", name);
        const struct cnn_node *out =
            count ? cnn_node_get_path(layers->items[count - 1], "linear.out")
                  : NULL;
        is_str(out ? out->text : NULL, "10",
               "%s: the last layer has the profile's 10 outputs", name);
        const struct cnn_node *first_out =
            count ? cnn_node_get_path(layers->items[0], "conv2d.out") : NULL;
        is_str(first_out ? first_out->text : NULL, "8",
               "%s: the other layers are untouched", name);
        const struct cnn_node *epochs = cnn_node_get_path(resolved,
                                                          "train.epochs");
        is_str(epochs ? epochs->text : NULL, "3", "%s: train merged", name);
    }
    cnn_node_free(want_data);
    cnn_manifest_free(&manifest);

    status = cnn_manifest_load(&manifest, path, "broken", NULL, 0, &err);
    ok(status == -1, "a profile indexing past the layers is refused");
    char expected[512];
    snprintf(expected, sizeof expected,
             "%s:25:22: list index 5 is out of range: the list (at line 6) "
             "has 3 items, so indexes run from 0 to 2, or from -3 to -1 "
             "counting from the end",
             path);
    is_str(message_of(&err), expected,
           "the error points at the profile's index and the list");
    unlink(path);
}

int main(void)
{
    test_replace_marker();
    test_index_maps();
    test_manifest();
    return done_testing();
}
