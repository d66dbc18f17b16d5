/* Tests of the YAML node tree: loading with marks, every refused input with
 * its exact line:column, typed reads, writing and reading back, merging and
 * command-line overrides. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cnnlab/node.h"
#include "tap.h"

static char formatted[4096];

static const char *message_of(const struct cnn_error *err)
{
    return cnn_error_format(err, formatted, sizeof formatted);
}

/* Loads `text` as "m.yaml"; returns the tree or NULL (error in *err). */
static struct cnn_node *load(const char *text, struct cnn_error *err)
{
    struct cnn_node *root = NULL;
    cnn_error_clear(err);
    if (cnn_node_load_string(text, "m.yaml", &root, err) != 0)
        return NULL;
    return root;
}

/* Checks that `text` is refused with exactly `expected` (formatted). */
static void refuses(const char *text, const char *expected, const char *what)
{
    struct cnn_error err;
    struct cnn_node *root = load(text, &err);
    if (!ok(root == NULL && err.failed, "refused: %s", what)) {
        cnn_node_free(root);
        return;
    }
    is_str(message_of(&err), expected, "message: %s", what);
}

static void test_load_and_marks(void)
{
    struct cnn_error err;
    struct cnn_node *root = load("name: quick\n"
                                 "train:\n"
                                 "  epochs: 3\n"
                                 "  optimizer: {sgd: {lr: 0.01}}\n"
                                 "layers:\n"
                                 "  - conv2d: {out: 8}\n"
                                 "  - relu\n"
                                 "quoted: \"3\"\n"
                                 "single: 'x'\n"
                                 "empty:\n",
                                 &err);
    if (!ok(root != NULL, "a small manifest loads")) {
        diag("%s", message_of(&err));
        return;
    }
    is_int(root->kind, CNN_NODE_MAP, "root is a map");
    is_int(root->count, 6, "six top-level keys");
    is_str(root->keys[0], "name", "keys keep document order");
    is_str(root->keys[5], "empty", "last key");
    is_int(root->mark.line, 1, "root mark line");
    is_int(root->mark.column, 1, "root mark column");
    is_str(root->mark.file, "m.yaml", "marks name the source");

    struct cnn_node *epochs = cnn_node_get_path(root, "train.epochs");
    ok(epochs && epochs->kind == CNN_NODE_SCALAR, "train.epochs is a scalar");
    if (epochs) {
        is_str(epochs->text, "3", "train.epochs text");
        is_int(epochs->mark.line, 3, "value line");
        is_int(epochs->mark.column, 11, "value column");
        is_int(epochs->quoted, 0, "plain scalar is not quoted");
    }
    struct cnn_mark key = cnn_node_key_mark(cnn_node_get(root, "train"),
                                            "epochs");
    is_int(key.line, 3, "key mark line");
    is_int(key.column, 3, "key mark column");
    struct cnn_mark absent = cnn_node_key_mark(root, "nope");
    is_int(absent.line, 1, "absent key: the map's own mark");

    struct cnn_node *lr = cnn_node_get_path(root, "train.optimizer.sgd.lr");
    ok(lr && strcmp(lr->text, "0.01") == 0, "flow maps nest");
    if (lr) {
        is_int(lr->mark.line, 4, "flow value line");
        is_int(lr->mark.column, 25, "flow value column");
    }
    ok(cnn_node_get_path(root, "train.epochs.x") == NULL,
       "a path through a scalar finds nothing");
    ok(cnn_node_get_path(root, "train.") == NULL, "a trailing dot finds "
       "nothing");
    ok(cnn_node_get_path(root, "train..epochs") == NULL,
       "an empty segment finds nothing");
    ok(cnn_node_get(NULL, "x") == NULL, "get on NULL");

    struct cnn_node *layers = cnn_node_get(root, "layers");
    ok(layers && layers->kind == CNN_NODE_SEQUENCE && layers->count == 2,
       "a block sequence of two items");
    if (layers && layers->count == 2) {
        is_int(layers->items[0]->kind, CNN_NODE_MAP, "first layer is a map");
        is_int(layers->items[0]->mark.line, 6, "item line");
        is_int(layers->items[0]->mark.column, 5, "item column");
        is_str(layers->items[1]->text, "relu", "second layer is a name");
    }
    struct cnn_node *quoted = cnn_node_get(root, "quoted");
    ok(quoted && quoted->quoted == 1, "double-quoted scalar is marked quoted");
    struct cnn_node *single = cnn_node_get(root, "single");
    ok(single && single->quoted == 1, "single-quoted scalar is quoted");
    struct cnn_node *empty = cnn_node_get(root, "empty");
    ok(empty && empty->kind == CNN_NODE_SCALAR && empty->text[0] == '\0' &&
           !empty->quoted,
       "a key without a value is an empty plain scalar");
    cnn_node_free(root);

    root = load("", &err);
    ok(root && root->kind == CNN_NODE_MAP && root->count == 0,
       "an empty document is an empty map");
    cnn_node_free(root);
    root = load("# only a comment\n", &err);
    ok(root && root->kind == CNN_NODE_MAP && root->count == 0,
       "a comment-only document is an empty map");
    cnn_node_free(root);
    root = load("---\n", &err);
    ok(root && root->kind == CNN_NODE_MAP && root->count == 0,
       "'---' alone is an empty map");
    cnn_node_free(root);
    root = load("---\na: 1\n...\n", &err);
    ok(root && root->count == 1, "explicit start and end markers are fine");
    cnn_node_free(root);
    root = load("just text\n", &err);
    ok(root && root->kind == CNN_NODE_SCALAR &&
           strcmp(root->text, "just text") == 0,
       "a scalar document loads as a scalar");
    cnn_node_free(root);
}

static void test_refusals(void)
{
    refuses("a: 1\nb: c: d\n",
            "m.yaml:2:5: invalid YAML: mapping values are not allowed in this "
            "context",
            "mapping value in a scalar");
    refuses("a: [1, 2\nb: 3\n",
            "m.yaml:2:2: invalid YAML: did not find expected ',' or ']' "
            "(while parsing a flow sequence that starts at line 1, column 4)",
            "unclosed flow sequence");
    refuses("train:\n  epochs: 3\n  batch: 4\n  epochs: 5\n",
            "m.yaml:4:3: duplicate key 'epochs' (first at line 2)",
            "duplicate key");
    refuses("a: {x: 1, x: 2}\n", "m.yaml:1:11: duplicate key 'x' (first at "
            "line 1)",
            "duplicate key in a flow map");
    refuses("a: &anchor 1\n",
            "m.yaml:1:4: YAML anchors are not supported ('&anchor'): write "
            "the value out in full",
            "anchor");
    refuses("a: 1\nb: *x\n",
            "m.yaml:2:4: YAML aliases are not supported ('*x'): write the "
            "value out in full",
            "alias");
    refuses("a: !!str 1\n",
            "m.yaml:1:4: YAML tags are not supported ('!!str'): remove it; "
            "quote the value to make it text",
            "core tag");
    refuses("a: !custom 1\n",
            "m.yaml:1:4: YAML tags are not supported ('!custom'): remove it; "
            "quote the value to make it text",
            "local tag");
    refuses("a: 1\n[x, y]: 2\n",
            "m.yaml:2:1: a mapping key must be a name, not a list",
            "a list as a key");
    refuses("? {k: v}\n: 2\n",
            "m.yaml:1:3: a mapping key must be a name, not a mapping",
            "a mapping as a key");
    refuses("a: 1\n---\nb: 2\n",
            "m.yaml:2:1: a second YAML document starts here; a manifest is "
            "one document (remove the '---')",
            "two documents");
    refuses("a: \"x\\0y\"\n",
            "m.yaml:1:4: text with a NUL character is not supported",
            "NUL inside a string");
    refuses("a: 1\nb: \xff\n",
            "m.yaml:2:4: invalid YAML: invalid leading UTF-8 octet (byte "
            "0xFF)",
            "invalid UTF-8");
    refuses("a:\n\t- b\n",
            "m.yaml:2:1: invalid YAML: found character that cannot start "
            "any token (while scanning for the next token that starts at "
            "line 2, column 1)",
            "tab indentation");

    /* Nesting beyond the limit is refused, not a stack overflow. */
    char deep[1024];
    memset(deep, '[', 600);
    memset(deep + 600, ']', 400); /* unbalanced on purpose: depth first */
    deep[1000] = '\0';
    struct cnn_error err;
    struct cnn_node *root = load(deep, &err);
    ok(root == NULL, "600 nested lists are refused");
    like(err.message, "nesting deeper than 200 levels", "deep nesting says "
         "why");
    cnn_node_free(root);
}

static void test_files(void)
{
    struct cnn_error err = {0};
    struct cnn_node *root = NULL;
    ok(cnn_node_load_file("/nonexistent/x.yaml", &root, &err) == -1,
       "a missing file fails");
    is_str(message_of(&err),
           "cannot read '/nonexistent/x.yaml': No such file or directory",
           "missing file message");
    cnn_error_clear(&err);
    ok(cnn_node_load_file("/tmp", &root, &err) == -1, "a directory fails");
    is_str(message_of(&err),
           "'/tmp' is a folder, not a regular file: cnnlab reads only "
           "regular files; give the path of one",
           "directory message");

    char *path = strdup("/tmp/cnnlab-test-node-XXXXXX");
    int fd = mkstemp(path);
    if (!ok(fd >= 0, "temporary file")) {
        free(path);
        return;
    }
    FILE *file = fdopen(fd, "w");
    fputs("seed: 1\nmodel:\n  input: [1, 28, 28]\n  extra: x: y\n", file);
    fclose(file);
    cnn_error_clear(&err);
    ok(cnn_node_load_file(path, &root, &err) == -1, "bad file fails");
    char expected[512];
    snprintf(expected, sizeof expected,
             "%s:4:11: invalid YAML: mapping values are not allowed in this "
             "context",
             path);
    is_str(message_of(&err), expected, "file errors name the path");

    file = fopen(path, "w");
    fputs("seed: 1\nmodel:\n  input: [1, 28, 28]\n", file);
    fclose(file);
    root = NULL;
    ok(cnn_node_load_file(path, &root, &err) == 0, "good file loads");
    struct cnn_node *input = cnn_node_get_path(root, "model.input");
    struct cnn_mark mark = input ? input->mark : (struct cnn_mark){0};
    cnn_node_free(root);
    unlink(path);
    char *saved = strdup(path);
    memset(path, 'X', strlen(path)); /* the caller reuses its buffer */
    free(path);
    /* The mark outlives both the tree and the caller's string. */
    is_str(mark.file, saved, "mark file name survives the tree");
    is_int(mark.line, 3, "file mark line");
    is_int(mark.column, 10, "file mark column");
    free(saved);
}

static void test_typed_reads(void)
{
    struct cnn_error err;
    struct cnn_node *root = load("i: 42\nn: -3\nf: 3.5\nw: abc\ne:\n"
                                 "big: 99999999999999999999\nq: \"3\"\n"
                                 "x1: 1e-3\nx2: .5\nx3: -0.1\nnan: nan\n"
                                 "inf: .inf\nhex: 0x10\nexp: 1e\nhuge: 1e400\n"
                                 "t: true\nT: True\nU: TRUE\nno: false\n"
                                 "yes: yes\nlist: [1]\nplus: +7\n",
                                 &err);
    if (!ok(root != NULL, "typed-read document loads")) {
        diag("%s", message_of(&err));
        return;
    }
    long l = 0;
    double d = 0;
    int b = -1;
    const char *s = NULL;
    ok(cnn_node_to_long(cnn_node_get(root, "i"), &l, &err) == 0 && l == 42,
       "integer 42");
    ok(cnn_node_to_long(cnn_node_get(root, "n"), &l, &err) == 0 && l == -3,
       "integer -3");
    ok(cnn_node_to_long(cnn_node_get(root, "plus"), &l, &err) == 0 && l == 7,
       "integer +7");
    cnn_error_clear(&err);
    ok(cnn_node_to_long(cnn_node_get(root, "w"), &l, &err) == -1,
       "'abc' is not an integer");
    is_str(message_of(&err), "m.yaml:4:4: expected an integer, got 'abc'",
           "integer error names the text and place");
    ok(cnn_node_to_long(cnn_node_get(root, "f"), &l, &err) == -1,
       "'3.5' is not an integer");
    ok(cnn_node_to_long(cnn_node_get(root, "e"), &l, &err) == -1,
       "empty is not an integer");
    ok(cnn_node_to_long(cnn_node_get(root, "big"), &l, &err) == -1,
       "overflow is refused");
    like(err.message, "between", "overflow says the range");
    ok(cnn_node_to_long(cnn_node_get(root, "q"), &l, &err) == -1,
       "a quoted number is text");
    is_str(message_of(&err),
           "m.yaml:7:4: expected an integer, got the quoted string \"3\" "
           "(remove the quotes)",
           "quoted number message");
    ok(cnn_node_to_long(cnn_node_get(root, "list"), &l, &err) == -1,
       "a list is not an integer");
    is_str(message_of(&err), "m.yaml:21:7: expected an integer, got a list",
           "list message");
    ok(cnn_node_to_long(NULL, &l, &err) == -1, "NULL node fails");

    ok(cnn_node_to_double(cnn_node_get(root, "x1"), &d, &err) == 0 &&
           d == 1e-3,
       "1e-3");
    ok(cnn_node_to_double(cnn_node_get(root, "x2"), &d, &err) == 0 && d == 0.5,
       ".5");
    ok(cnn_node_to_double(cnn_node_get(root, "x3"), &d, &err) == 0 &&
           d == -0.1,
       "-0.1");
    ok(cnn_node_to_double(cnn_node_get(root, "i"), &d, &err) == 0 && d == 42,
       "an integer is a number");
    const char *bad_numbers[] = {"nan", "inf", "hex", "exp", "w", "e"};
    for (int i = 0; i < 6; i++)
        ok(cnn_node_to_double(cnn_node_get(root, bad_numbers[i]), &d, &err) ==
               -1,
           "'%s' is not a number", bad_numbers[i]);
    cnn_node_to_double(cnn_node_get(root, "nan"), &d, &err);
    is_str(message_of(&err), "m.yaml:11:6: expected a number, got 'nan'",
           "number error message");
    ok(cnn_node_to_double(cnn_node_get(root, "huge"), &d, &err) == -1,
       "1e400 overflows");
    like(err.message, "too large", "overflow says so");

    ok(cnn_node_to_bool(cnn_node_get(root, "t"), &b, &err) == 0 && b == 1,
       "true");
    ok(cnn_node_to_bool(cnn_node_get(root, "T"), &b, &err) == 0 && b == 1,
       "True");
    ok(cnn_node_to_bool(cnn_node_get(root, "U"), &b, &err) == 0 && b == 1,
       "TRUE");
    ok(cnn_node_to_bool(cnn_node_get(root, "no"), &b, &err) == 0 && b == 0,
       "false");
    ok(cnn_node_to_bool(cnn_node_get(root, "yes"), &b, &err) == -1,
       "'yes' is not a boolean");
    is_str(message_of(&err), "m.yaml:20:6: expected true or false, got 'yes'",
           "boolean error message");

    ok(cnn_node_to_string(cnn_node_get(root, "w"), &s, &err) == 0 &&
           strcmp(s, "abc") == 0,
       "string");
    ok(cnn_node_to_string(cnn_node_get(root, "q"), &s, &err) == 0 &&
           strcmp(s, "3") == 0,
       "a quoted scalar is a string");
    ok(cnn_node_to_string(cnn_node_get(root, "list"), &s, &err) == -1,
       "a list is not a string");
    like(err.message, "expected text, got a list", "string error message");
    cnn_node_free(root);

    is_str(cnn_node_kind_name(CNN_NODE_SCALAR), "a scalar", "kind name");
    is_str(cnn_node_kind_name(CNN_NODE_SEQUENCE), "a list", "kind name");
    is_str(cnn_node_kind_name(CNN_NODE_MAP), "a mapping", "kind name");
}

static void test_building(void)
{
    struct cnn_mark mark = {"built", 1, 1};
    struct cnn_node *map = cnn_node_new_map(mark);
    struct cnn_node *list = cnn_node_new_sequence(mark);
    ok(map && list, "constructors");
    ok(cnn_node_sequence_append(list, cnn_node_new_scalar("1", mark)) == 0 &&
           cnn_node_sequence_append(list, cnn_node_new_scalar("2", mark)) == 0,
       "append");
    ok(cnn_node_map_set(map, "a", mark, cnn_node_new_scalar("x", mark)) == 0,
       "set a");
    ok(cnn_node_map_set(map, "b", mark, list) == 0, "set b");
    ok(cnn_node_map_set(map, "c", mark, cnn_node_new_scalar("y", mark)) == 0,
       "set c");
    ok(cnn_node_map_set(map, "a", mark, cnn_node_new_scalar("z", mark)) == 0,
       "replace a");
    is_int(map->count, 3, "replacing does not add a key");
    is_str(map->keys[0], "a", "replacing keeps the position");
    is_str(cnn_node_get(map, "a")->text, "z", "replaced value");
    ok(cnn_node_map_set(list, "k", mark, cnn_node_new_scalar("v", mark)) ==
           -1,
       "map_set on a list fails");
    ok(cnn_node_sequence_append(map, cnn_node_new_scalar("v", mark)) == -1,
       "append to a map fails");

    struct cnn_node *copy = cnn_node_clone(map);
    ok(cnn_node_equal(map, copy), "a clone is equal");
    cnn_node_map_remove(copy, "b");
    is_int(copy->count, 2, "remove drops a key");
    is_str(copy->keys[1], "c", "later keys move up");
    ok(!cnn_node_equal(map, copy), "a changed clone differs");
    ok(cnn_node_get(map, "b") != NULL, "the original is untouched");
    cnn_node_map_remove(copy, "absent");
    is_int(copy->count, 2, "removing an absent key is a no-op");
    cnn_node_free(copy);

    struct cnn_error err;
    struct cnn_node *ab = load("{a: 1, b: 2}", &err);
    struct cnn_node *ba = load("{b: 2, a: 1}", &err);
    struct cnn_node *ab3 = load("{a: 1, b: 3}", &err);
    struct cnn_node *ab_quoted = load("{a: '1', b: 2}", &err);
    ok(!cnn_node_equal(ab, ba), "key order matters");
    ok(!cnn_node_equal(ab, ab3), "text matters");
    ok(cnn_node_equal(ab, ab_quoted), "quoting is not compared");
    ok(cnn_node_equal(NULL, NULL) && !cnn_node_equal(ab, NULL),
       "NULL compares only to NULL");
    cnn_node_free(ab);
    cnn_node_free(ba);
    cnn_node_free(ab3);
    cnn_node_free(ab_quoted);
    cnn_node_free(map);
}

/* Writes `node` to a string (caller frees). */
static char *write_to_string(const struct cnn_node *node)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    if (!out)
        return NULL;
    int status = cnn_node_write(node, out);
    fclose(out);
    if (status != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static void round_trips(const struct cnn_node *node, const char *what)
{
    char *text = write_to_string(node);
    struct cnn_error err;
    struct cnn_node *again = text ? load(text, &err) : NULL;
    if (!ok(again && cnn_node_equal(node, again), "round trip: %s", what)) {
        diag("written:\n%s", text ? text : "(nothing)");
        if (!again)
            diag("%s", message_of(&err));
    }
    cnn_node_free(again);
    free(text);
}

static void test_write(void)
{
    struct cnn_error err;
    struct cnn_node *root = load("name: quick\n"
                                 "train: {epochs: 3, optimizer: {sgd: {lr: "
                                 "0.01}}}\n"
                                 "layers:\n"
                                 "  - {conv2d: {out: 8, kernel: [3, 3]}}\n"
                                 "  - relu\n"
                                 "  - [1, [2, 3]]\n"
                                 "  - {}\n"
                                 "  - []\n"
                                 "  -\n"
                                 "none: {}\n"
                                 "nothing: []\n"
                                 "blank:\n"
                                 "q: \"3\"\n",
                                 &err);
    if (!ok(root != NULL, "write document loads")) {
        diag("%s", message_of(&err));
        return;
    }
    char *text = write_to_string(root);
    is_str(text,
           "name: quick\n"
           "train:\n"
           "  epochs: 3\n"
           "  optimizer:\n"
           "    sgd:\n"
           "      lr: 0.01\n"
           "layers:\n"
           "  - conv2d:\n"
           "      out: 8\n"
           "      kernel:\n"
           "        - 3\n"
           "        - 3\n"
           "  - relu\n"
           "  -\n"
           "    - 1\n"
           "    -\n"
           "      - 2\n"
           "      - 3\n"
           "  - {}\n"
           "  - []\n"
           "  -\n"
           "none: {}\n"
           "nothing: []\n"
           "blank:\n"
           "q: \"3\"\n",
           "block output, quoted where it was quoted");
    free(text);
    round_trips(root, "nested maps and lists");
    struct cnn_node *blank = cnn_node_get(root, "blank");
    text = write_to_string(root);
    struct cnn_node *again = text ? load(text, &err) : NULL;
    struct cnn_node *blank_again = cnn_node_get(again, "blank");
    struct cnn_node *q_again = cnn_node_get(again, "q");
    ok(blank && blank_again && !blank_again->quoted &&
           blank_again->text[0] == '\0',
       "an empty plain value stays empty and plain");
    ok(q_again && q_again->quoted, "a quoted value stays quoted");
    cnn_node_free(again);
    free(text);
    cnn_node_free(root);

    /* Text that plain YAML would misread, built without quotes. */
    static const char *tricky[] = {
        "", " lead", "trail ", "a: b", "#x", "x # y", "- x", "-", "?", "? x",
        "[x]", "{x}", "a,b", "&x", "*x", "!x", "|", ">", "'q'", "\"q\"", "%x",
        "@x", "`x", "---", "...x", "line\nbreak", "tab\there", "back\\slash",
        "ctl\001", "del\177", "é ü", "~", "null", "yes", "3", "1e3", "-1",
        "a:b", "http://x/y", "C:\\path",
        /* Characters YAML does not take as they are (C1 controls, next
         * line, the line and paragraph separators, a byte order mark, the
         * non-characters U+FFFE and U+FFFF), and neighbours it does. */
        "c1\xc2\x9e", "c1\xc2\x80x", "nel\xc2\x85", "ls\xe2\x80\xa8",
        "ps\xe2\x80\xa9", "bom\xef\xbb\xbf", "nc\xef\xbf\xbe",
        "nc\xef\xbf\xbf", "nbsp\xc2\xa0", "dot\xe2\x80\xa7"};
    int count = (int)(sizeof tricky / sizeof tricky[0]);
    struct cnn_mark mark = {"built", 0, 0};
    struct cnn_node *map = cnn_node_new_map(mark);
    struct cnn_node *list = cnn_node_new_sequence(mark);
    for (int i = 0; i < count; i++) {
        struct cnn_node *one = cnn_node_new_map(mark);
        cnn_node_map_set(one, "v", mark, cnn_node_new_scalar(tricky[i], mark));
        char what[64];
        snprintf(what, sizeof what, "value %d", i);
        round_trips(one, what);
        cnn_node_free(one);
        /* the same text as a key and as a list item */
        cnn_node_map_set(map, tricky[i], mark,
                         cnn_node_new_scalar(tricky[i], mark));
        cnn_node_sequence_append(list, cnn_node_new_scalar(tricky[i], mark));
    }
    is_int(map->count, count, "every tricky key was added");
    round_trips(map, "tricky keys and values");
    round_trips(list, "tricky list items");
    cnn_node_free(map);
    cnn_node_free(list);

    struct cnn_node *scalar = cnn_node_new_scalar("", mark);
    round_trips(scalar, "an empty root scalar");
    cnn_node_free(scalar);
    scalar = cnn_node_new_scalar("top: level", mark);
    round_trips(scalar, "a root scalar that needs quotes");
    cnn_node_free(scalar);
    struct cnn_node *empty = cnn_node_new_map(mark);
    text = write_to_string(empty);
    is_str(text, "{}\n", "an empty root map is {}");
    free(text);
    round_trips(empty, "empty map");
    cnn_node_free(empty);
    empty = cnn_node_new_sequence(mark);
    text = write_to_string(empty);
    is_str(text, "[]\n", "an empty root list is []");
    free(text);
    cnn_node_free(empty);

    root = load("a: |\n  two\n  lines\nb: >\n  folded\n  text\n"
                "c: 'it''s'\nd: \"\\u00e9\\t\"\n",
                &err);
    ok(root != NULL, "block scalars load");
    struct cnn_node *a = cnn_node_get(root, "a");
    ok(a && strcmp(a->text, "two\nlines\n") == 0 && a->quoted,
       "a literal block keeps newlines and counts as quoted");
    round_trips(root, "block and escaped scalars");
    cnn_node_free(root);
}

static void test_merge(void)
{
    struct cnn_error err;
    struct cnn_node *base = load("a: 1\n"
                                 "train: {epochs: 3, opt: {lr: 0.1, m: 0.9}}\n"
                                 "list: [1, 2]\n"
                                 "map_to_scalar: {x: 1}\n",
                                 &err);
    struct cnn_node *overlay = load("train: {opt: {lr: 0.01}, batch: 4}\n"
                                    "list: [3]\n"
                                    "map_to_scalar: none\n"
                                    "new: {k: v}\n",
                                    &err);
    struct cnn_node *expected = load("a: 1\n"
                                     "train: {epochs: 3, opt: {lr: 0.01, m: "
                                     "0.9}, batch: 4}\n"
                                     "list: [3]\n"
                                     "map_to_scalar: none\n"
                                     "new: {k: v}\n",
                                     &err);
    struct cnn_node *overlay_before = cnn_node_clone(overlay);
    ok(cnn_node_merge(base, overlay, &err) == 0, "merge succeeds");
    ok(cnn_node_equal(base, expected),
       "maps merge deeply; lists and scalars replace");
    ok(cnn_node_equal(overlay, overlay_before), "the overlay is unchanged");
    struct cnn_node *lr = cnn_node_get_path(base, "train.opt.lr");
    ok(lr && lr->mark.line == 1 && lr->mark.column == 19,
       "merged values keep the overlay's marks");

    /* A list replaces a map in place (the pointer stays valid). */
    struct cnn_node *inner = cnn_node_get(base, "train");
    struct cnn_node *seq = load("[x, y]", &err);
    ok(cnn_node_merge(inner, seq, &err) == 0 &&
           inner->kind == CNN_NODE_SEQUENCE && inner->count == 2 &&
           cnn_node_get(base, "train") == inner,
       "a non-map overlay replaces in place");
    cnn_node_free(seq);
    cnn_node_free(base);
    cnn_node_free(overlay);
    cnn_node_free(overlay_before);
    cnn_node_free(expected);
}

static void override_fails(struct cnn_node *root, const char *assignment,
                           const char *expected)
{
    struct cnn_error err;
    cnn_error_clear(&err);
    struct cnn_node *before = cnn_node_clone(root);
    ok(cnn_node_apply_override(root, assignment, &err) == -1,
       "override '%s' is refused", assignment);
    is_str(message_of(&err), expected, "message for '%s'", assignment);
    ok(cnn_node_equal(root, before), "'%s' leaves the tree unchanged",
       assignment);
    cnn_node_free(before);
}

static void test_overrides(void)
{
    struct cnn_error err;
    struct cnn_node *root = load("train:\n  epochs: 3\n"
                                 "model:\n  layers: [relu]\n",
                                 &err);
    if (!ok(root != NULL, "override base loads"))
        return;
    ok(cnn_node_apply_override(root, "train.epochs=5", &err) == 0,
       "replace a scalar");
    struct cnn_node *epochs = cnn_node_get_path(root, "train.epochs");
    is_str(epochs ? epochs->text : NULL, "5", "new value");
    ok(epochs && epochs->mark.file &&
           strcmp(epochs->mark.file, "command line 'train.epochs=5'") == 0 &&
           epochs->mark.line == 0 && epochs->mark.column == 0,
       "the value's mark names the argument");
    struct cnn_node *check = cnn_node_get(root, "train");
    is_int(check ? check->count : -1, 1, "no key was added");

    ok(cnn_node_apply_override(root, "train.optimizer.sgd.lr=0.01", &err) ==
           0,
       "create intermediate maps");
    struct cnn_node *lr = cnn_node_get_path(root, "train.optimizer.sgd.lr");
    is_str(lr ? lr->text : NULL, "0.01", "deep value");
    struct cnn_node *sgd = cnn_node_get_path(root, "train.optimizer.sgd");
    ok(sgd && sgd->kind == CNN_NODE_MAP && sgd->mark.file &&
           strstr(sgd->mark.file, "train.optimizer.sgd.lr=0.01"),
       "created maps are marked with the argument");

    ok(cnn_node_apply_override(root, "data.size=[1, 2]", &err) == 0,
       "a list value");
    struct cnn_node *size = cnn_node_get_path(root, "data.size");
    ok(size && size->kind == CNN_NODE_SEQUENCE && size->count == 2 &&
           strcmp(size->items[1]->text, "2") == 0,
       "flow list parsed as YAML");
    ok(cnn_node_apply_override(root, "data.opts={a: 1, b: [x]}", &err) == 0,
       "a map value");
    struct cnn_node *b = cnn_node_get_path(root, "data.opts.b");
    ok(b && b->kind == CNN_NODE_SEQUENCE, "flow map parsed as YAML");
    ok(cnn_node_apply_override(root, "data.root=", &err) == 0,
       "an empty value");
    struct cnn_node *data_root = cnn_node_get_path(root, "data.root");
    ok(data_root && data_root->kind == CNN_NODE_SCALAR &&
           data_root->text[0] == '\0',
       "an empty value is empty text");
    ok(cnn_node_apply_override(root, "data.name='3'", &err) == 0,
       "a quoted value");
    struct cnn_node *name = cnn_node_get_path(root, "data.name");
    ok(name && name->quoted && strcmp(name->text, "3") == 0,
       "quotes make it text");
    ok(cnn_node_apply_override(root, "data.url=http://x/y?a=b", &err) == 0,
       "the first '=' splits key and value");
    struct cnn_node *url = cnn_node_get_path(root, "data.url");
    is_str(url ? url->text : NULL, "http://x/y?a=b", "value keeps its '='");
    ok(cnn_node_apply_override(root, "model.layers=[conv2d, relu]", &err) ==
           0,
       "replace a list");
    ok(cnn_node_apply_override(root, "train.optimizer=adam", &err) == 0,
       "a scalar may replace a map");

    /* The value's later validation quotes the argument. */
    ok(cnn_node_apply_override(root, "train.epochs=abc", &err) == 0,
       "a bad value is only text until read");
    long value;
    cnn_node_to_long(cnn_node_get_path(root, "train.epochs"), &value, &err);
    is_str(message_of(&err),
           "command line 'train.epochs=abc': expected an integer, got 'abc'",
           "a bad override's value is reported with the argument");

    override_fails(root, "train.epochs.x=1",
                   "override 'train.epochs.x=1': 'train.epochs' is a scalar, "
                   "not a mapping");
    override_fails(root, "model.layers.first=1",
                   "override 'model.layers.first=1': 'model.layers' is a "
                   "list, not a mapping");
    override_fails(root, "train.epochs",
                   "override 'train.epochs' is not key=value (for example "
                   "train.epochs=3)");
    override_fails(root, "=3", "override '=3' has no key before '='");
    override_fails(root, "train..epochs=3",
                   "override 'train..epochs=3': empty key segment in "
                   "'train..epochs'");
    override_fails(root, ".epochs=3",
                   "override '.epochs=3': empty key segment in '.epochs'");
    override_fails(root, "train.=3",
                   "override 'train.=3': empty key segment in 'train.'");
    override_fails(root, "train.epochs=[1, 2",
                   "override 'train.epochs=[1, 2': bad value: invalid YAML: "
                   "did not find expected ',' or ']' (while parsing a flow "
                   "sequence that starts at line 1, column 1)");
    override_fails(root, "train.epochs=*x",
                   "override 'train.epochs=*x': bad value: YAML aliases are "
                   "not supported ('*x'): write the value out in full");
    cnn_node_free(root);

    struct cnn_node *list_root = load("[1, 2]", &err);
    override_fails(list_root, "a=1",
                   "override 'a=1': the manifest is not a mapping");
    cnn_node_free(list_root);
}

/* {index: item} onto a list merges into the items it names, as a
 * variant's or profile's does; other values still replace the list. */
static void test_list_overrides(void)
{
    struct cnn_error err;
    struct cnn_node *root =
        load("analyses: [summary, {timing: {repeats: 20, batch: 50}}]\n"
             "model:\n  layers: [{conv2d: {out: 8}}, {linear: {out: 10}}]\n",
             &err);
    if (!ok(root != NULL, "list override base loads"))
        return;
    ok(cnn_node_apply_override(root, "analyses={1: {timing: {repeats: 1}}}",
                               &err) == 0,
       "an index map onto a list");
    struct cnn_node *expected = load(
        "analyses: [summary, {timing: {repeats: 1, batch: 50}}]\n"
        "model:\n  layers: [{conv2d: {out: 8}}, {linear: {out: 10}}]\n",
        &err);
    if (!ok(cnn_node_equal(root, expected),
            "it merges into item 1, keeping its other keys and item 0")) {
        printf("# got:\n");
        cnn_node_write(root, stdout);
    }
    cnn_node_free(expected);
    ok(cnn_node_apply_override(root, "model.layers={-1: {linear: {out: 5}}}",
                               &err) == 0,
       "a negative index counts from the end");
    struct cnn_node *out = cnn_node_get_path(root, "model.layers");
    out = out && out->count == 2 ? cnn_node_get_path(out->items[1],
                                                     "linear.out")
                                 : NULL;
    is_str(out ? out->text : NULL, "5", "the last layer's out is 5");
    override_fails(root, "analyses={2: summary}",
                   "command line 'analyses={2: summary}': list index 2 is "
                   "out of range: the list (at line 1) has 2 items, so "
                   "indexes run from 0 to 1, or from -2 to -1 counting from "
                   "the end");
    ok(cnn_node_apply_override(root, "analyses={a: 1}", &err) == 0,
       "a map with other keys");
    struct cnn_node *analyses = cnn_node_get(root, "analyses");
    ok(analyses && analyses->kind == CNN_NODE_MAP,
       "replaces the list, as before");
    cnn_node_free(root);
}

int main(void)
{
    test_load_and_marks();
    test_refusals();
    test_files();
    test_typed_reads();
    test_building();
    test_write();
    test_merge();
    test_overrides();
    test_list_overrides();
    return done_testing();
}
