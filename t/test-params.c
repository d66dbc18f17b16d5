/* Tests of component parameters: defaults, each type's accepted and
 * rejected text, ranges, choices with did-you-mean, pairs and lists, the
 * getters' plugin-bug aborts, and checking a manifest map against a schema
 * (unknown keys, wrong kinds, missing required ones, with line:column). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cnnlab/node.h"
#include "cnnlab/params.h"
#include "config/params_node.h"
#include "tap.h"
#include "test-aborts.h"

static const struct cnn_param_spec conv_specs[] = {
    {"out", CNN_PARAM_INT, NULL, 1, 65536, NULL, "output channels"},
    {"kernel", CNN_PARAM_INT_PAIR, "3", 1, 1024, NULL, "kernel size"},
    {"stride", CNN_PARAM_INT_PAIR, "1", 1, 1024, NULL, "stride"},
    {"padding", CNN_PARAM_INT_PAIR, "0", 0, 1024, NULL, "zero padding"},
    {"bias", CNN_PARAM_BOOL, "true", 0, 0, NULL, "add a bias"},
    {"activation", CNN_PARAM_CHOICE, "none", 0, 0, "none|relu|tanh|sigmoid",
     "fused activation"},
};
#define CONV_COUNT ((int)(sizeof conv_specs / sizeof conv_specs[0]))

static const struct cnn_param_spec misc_specs[] = {
    {"epochs", CNN_PARAM_INT, "10", 0, 0, NULL, "unbounded integer"},
    {"lr", CNN_PARAM_FLOAT, "0.01", 0, 10, NULL, "learning rate"},
    {"momentum", CNN_PARAM_FLOAT, "0.9", 0, 1, NULL, NULL},
    {"mean", CNN_PARAM_FLOAT_LIST, "[0.5, 0.25]", 0, 0, NULL, "means"},
    {"name", CNN_PARAM_STRING, "net", 0, 0, NULL, "a name"},
    {"size", CNN_PARAM_INT_PAIR, "[4, 6]", 0, 0, NULL, "unbounded pair"},
    {"shuffle", CNN_PARAM_BOOL, "false", 0, 0, NULL, NULL},
};
#define MISC_COUNT ((int)(sizeof misc_specs / sizeof misc_specs[0]))

static char formatted[4096];
static const struct cnn_mark here = {"m.yaml", 5, 12};

static const char *message_of(const struct cnn_error *err)
{
    return cnn_error_format(err, formatted, sizeof formatted);
}

static struct cnn_params misc;

/* Setting `text` for `name` in `misc` succeeds. */
static void accepts(const char *name, const char *text)
{
    struct cnn_error err;
    cnn_error_clear(&err);
    if (!ok(cnn_params_set_text(&misc, name, text, here, "misc", &err) == 0,
            "%s accepts '%s'", name, text))
        diag("%s", message_of(&err));
}

/* Setting `text` for `name` fails with `expected` (formatted, or a part of
 * it when `whole` is 0) and leaves the value unchanged. */
static void rejects(const char *name, const char *text, const char *expected,
                    int whole)
{
    struct cnn_error err;
    cnn_error_clear(&err);
    char before[1024] = "", after[1024] = "";
    cnn_params_format(&misc, before, sizeof before);
    ok(cnn_params_set_text(&misc, name, text, here, "misc", &err) == -1,
       "%s rejects '%s'", name, text);
    if (whole)
        is_str(message_of(&err), expected, "message for %s='%s'", name, text);
    else
        like(message_of(&err), expected, "message for %s='%s'", name, text);
    cnn_params_format(&misc, after, sizeof after);
    is_str(after, before, "a rejected '%s' leaves %s unchanged", text, name);
}

static void test_defaults(void)
{
    struct cnn_error err;
    struct cnn_params params;
    ok(cnn_params_init_defaults(&params, conv_specs, CONV_COUNT, "conv2d",
                                &err) == 0,
       "conv2d defaults");
    int kh = 0, kw = 0;
    cnn_param_pair(&params, "kernel", &kh, &kw);
    ok(kh == 3 && kw == 3, "a scalar default pair is used for both");
    is_int(cnn_param_bool(&params, "bias"), 1, "bias default");
    is_str(cnn_param_string(&params, "activation"), "none",
           "choice default");
    is_int(cnn_param_is_explicit(&params, "kernel"), 0,
           "defaults are not explicit");
    ok(cnn_params_has(&params, "out") && !cnn_params_has(&params, "outs"),
       "has");
    ok(cnn_params_check_required(&params, here, "conv2d", &err) == -1,
       "a required parameter without a value fails");
    is_str(message_of(&err),
           "m.yaml:5:12: conv2d: missing required parameter 'out' (an "
           "integer: output channels)",
           "missing required message");
    char text[512] = "";
    cnn_params_format(&params, text, sizeof text);
    is_str(text,
           "out=(unset), kernel=3, stride=1, padding=0, bias=true, "
           "activation=none",
           "format of the defaults");
    ok(cnn_params_set_text(&params, "out", "64", here, "conv2d", &err) == 0,
       "set out");
    ok(cnn_params_check_required(&params, here, "conv2d", &err) == 0,
       "then nothing required is missing");
    is_int(cnn_param_int(&params, "out"), 64, "out");
    is_int(cnn_param_is_explicit(&params, "out"), 1, "set values are explicit");
    memset(text, 'x', sizeof text); /* an uninitialised buffer */
    cnn_params_format(&params, text, sizeof text);
    is_str(text,
           "out=64, kernel=3, stride=1, padding=0, bias=true, "
           "activation=none",
           "format fills the buffer from its start");
    char small[16] = "";
    cnn_params_format(&params, small, sizeof small);
    is_str(small, "out=64, kernel=", "format truncates safely");

    struct cnn_params copy;
    ok(cnn_params_copy(&copy, &params, &err) == 0, "copy");
    cnn_params_set_text(&params, "activation", "relu", here, "conv2d", &err);
    is_str(cnn_param_string(&copy, "activation"), "none",
           "a copy does not share strings");
    is_int(cnn_param_int(&copy, "out"), 64, "a copy keeps values");
    cnn_params_free(&copy);
    cnn_params_free(&params);
    ok(params.values == NULL && params.count == 0, "free clears the struct");
    cnn_params_free(&params); /* twice is harmless */

    ok(cnn_params_init_defaults(&params, NULL, 0, "relu", &err) == 0,
       "a component without parameters");
    ok(cnn_params_check_required(&params, here, "relu", &err) == 0,
       "nothing is required of it");
    cnn_params_free(&params);

    ok(cnn_params_init_defaults(&misc, misc_specs, MISC_COUNT, "misc", &err) ==
           0,
       "misc defaults");
    const double *means = NULL;
    is_int(cnn_param_floats(&misc, "mean", &means), 2, "list default count");
    ok(means && means[0] == 0.5 && means[1] == 0.25, "list default values");
    is_str(cnn_param_string(&misc, "name"), "net", "string default");
    is_near(cnn_param_float(&misc, "lr"), 0.01, 0, "float default (exact)");
    cnn_param_pair(&misc, "size", &kh, &kw);
    ok(kh == 4 && kw == 6, "pair default from flow text");
}

static void bad_schema(const struct cnn_param_spec *specs, int count,
                       const char *expected, const char *what)
{
    struct cnn_error err;
    struct cnn_params params;
    cnn_error_clear(&err);
    ok(cnn_params_init_defaults(&params, specs, count, "broken", &err) == -1,
       "schema refused: %s", what);
    like(err.message, expected, "message: %s", what);
    ok(params.values == NULL, "nothing left allocated: %s", what);
}

static void test_bad_schemas(void)
{
    static const struct cnn_param_spec bad_default[] = {
        {"n", CNN_PARAM_INT, "many", 0, 0, NULL, NULL}};
    bad_schema(bad_default, 1,
               "the default of 'n' does not parse (a plugin bug): broken: "
               "'n' must be an integer, got 'many'",
               "default that does not parse");
    static const struct cnn_param_spec out_of_range[] = {
        {"n", CNN_PARAM_INT, "0", 1, 5, NULL, NULL}};
    bad_schema(out_of_range, 1, "'n' must be between 1 and 5, got 0",
               "default out of range");
    static const struct cnn_param_spec twice[] = {
        {"n", CNN_PARAM_INT, "1", 0, 0, NULL, NULL},
        {"n", CNN_PARAM_INT, "2", 0, 0, NULL, NULL}};
    bad_schema(twice, 2, "broken: parameter 'n' is declared twice",
               "duplicate name");
    static const struct cnn_param_spec no_choices[] = {
        {"mode", CNN_PARAM_CHOICE, "a", 0, 0, NULL, NULL}};
    bad_schema(no_choices, 1, "choice parameter 'mode' lists no choices",
               "choice without choices");
    static const struct cnn_param_spec inverted[] = {
        {"n", CNN_PARAM_INT, "1", 5, 1, NULL, NULL}};
    bad_schema(inverted, 1, "'n' has min 5 above max 1", "min above max");
    static const struct cnn_param_spec bad_choice[] = {
        {"mode", CNN_PARAM_CHOICE, "mx", 0, 0, "avg|max", NULL}};
    bad_schema(bad_choice, 1, "'mode' must be one of avg, max; got 'mx'",
               "default not among the choices");
}

static void test_types(void)
{
    /* INT: decimal integers only */
    accepts("epochs", "3");
    accepts("epochs", "-7");
    accepts("epochs", "+12");
    is_int(cnn_param_int(&misc, "epochs"), 12, "+12 reads as 12");
    rejects("epochs", "3.5",
            "m.yaml:5:12: misc: 'epochs' must be an integer, got '3.5'", 1);
    rejects("epochs", "abc", "'epochs' must be an integer, got 'abc'", 0);
    rejects("epochs", "", "'epochs' must be an integer, got ''", 0);
    rejects("epochs", " 3", "must be an integer", 0);
    rejects("epochs", "0x10", "must be an integer", 0);
    rejects("epochs", "1e3", "must be an integer", 0);
    rejects("epochs", "99999999999999999999",
            "misc: 'epochs' is too large for an integer, got "
            "99999999999999999999",
            0);
    rejects("epochs", "[1]", "must be an integer", 0);

    /* FLOAT */
    accepts("lr", "1e-3");
    is_near(cnn_param_float(&misc, "lr"), 1e-3, 0, "1e-3 (exact)");
    accepts("lr", ".5");
    is_near(cnn_param_float(&misc, "lr"), 0.5, 0, ".5 (exact)");
    accepts("lr", "2");
    accepts("lr", "0");
    accepts("lr", "10");
    rejects("lr", "-0.1",
            "m.yaml:5:12: misc: 'lr' must be between 0 and 10, got -0.1", 1);
    rejects("lr", "10.5", "must be between 0 and 10, got 10.5", 0);
    rejects("lr", "nan", "misc: 'lr' must be a number, got 'nan'", 0);
    rejects("lr", "inf", "must be a number, got 'inf'", 0);
    rejects("lr", "-inf", "must be a number", 0);
    rejects("lr", ".inf", "must be a number", 0);
    rejects("lr", "abc", "must be a number, got 'abc'", 0);
    rejects("lr", "1e", "must be a number", 0);
    rejects("lr", "", "must be a number", 0);
    rejects("lr", "1e400", "too large for a number", 0);
    accepts("momentum", "-0");
    rejects("momentum", "1.5",
            "misc: 'momentum' must be between 0 and 1, got 1.5", 0);

    /* BOOL: true/false in three spellings, nothing else */
    const char *trues[] = {"true", "True", "TRUE"};
    const char *falses[] = {"false", "False", "FALSE"};
    for (int i = 0; i < 3; i++) {
        accepts("shuffle", trues[i]);
        is_int(cnn_param_bool(&misc, "shuffle"), 1, "%s is 1", trues[i]);
        accepts("shuffle", falses[i]);
        is_int(cnn_param_bool(&misc, "shuffle"), 0, "%s is 0", falses[i]);
    }
    const char *not_bools[] = {"yes", "no", "on", "off", "1", "0", "tRue", ""};
    for (int i = 0; i < 8; i++)
        rejects("shuffle", not_bools[i], "must be true or false", 0);
    rejects("shuffle", "yes",
            "m.yaml:5:12: misc: 'shuffle' must be true or false, got 'yes'",
            1);

    /* STRING: any text */
    accepts("name", "a b: c");
    is_str(cnn_param_string(&misc, "name"), "a b: c", "string kept as is");
    accepts("name", "");
    is_str(cnn_param_string(&misc, "name"), "", "empty string");

    /* INT_PAIR */
    int first = 0, second = 0;
    accepts("size", "7");
    cnn_param_pair(&misc, "size", &first, &second);
    ok(first == 7 && second == 7, "a scalar is used for both");
    accepts("size", "[2, 5]");
    cnn_param_pair(&misc, "size", &first, &second);
    ok(first == 2 && second == 5, "flow pair");
    accepts("size", " [ 3 ,4 ] ");
    cnn_param_pair(&misc, "size", &first, &second);
    ok(first == 3 && second == 4, "flow pair with spaces");
    accepts("size", "[9]");
    cnn_param_pair(&misc, "size", &first, &second);
    ok(first == 9 && second == 9, "a one-element pair is used for both");
    rejects("size", "[1, 2, 3]",
            "m.yaml:5:12: misc: 'size' takes one or two integers, got 3", 1);
    rejects("size", "[]", "takes one or two integers, got 0", 0);
    rejects("size", "[1, x]",
            "misc: each element of 'size' must be an integer, got 'x'", 0);
    rejects("size", "[1,, 2]", "takes one or two integers, got 3", 0);
    rejects("size", "[1, 2", "must be an integer or a list of two integers, "
            "got '[1, 2'",
            0);
    rejects("size", "3000000000", "'size' is too large for an integer", 0);
    rejects("size", "2.5", "must be an integer, got '2.5'", 0);
    const char *pair[] = {"6", "8"};
    struct cnn_error err;
    ok(cnn_params_set_list(&misc, "size", pair, 2, here, "misc", &err) == 0,
       "set_list for a pair");
    cnn_param_pair(&misc, "size", &first, &second);
    ok(first == 6 && second == 8, "pair from set_list");

    /* FLOAT_LIST */
    const double *values = NULL;
    accepts("mean", "0.5");
    is_int(cnn_param_floats(&misc, "mean", &values), 1, "a scalar is a list "
           "of one");
    accepts("mean", "[0.1, 0.2, 0.3]");
    is_int(cnn_param_floats(&misc, "mean", &values), 3, "three numbers");
    ok(values && values[2] == 0.3, "third number (exact)");
    rejects("mean", "[]", "misc: 'mean' takes 1 to 64 numbers, got none", 0);
    char too_many[512] = "[1";
    for (int i = 2; i <= CNN_PARAM_LIST_MAX + 1; i++)
        snprintf(too_many + strlen(too_many),
                 sizeof too_many - strlen(too_many), ",%d", i);
    strcat(too_many, "]");
    rejects("mean", too_many, "misc: 'mean' takes 1 to 64 numbers, got 65",
            0);
    rejects("mean", "[1, nan]", "each element of 'mean' must be a number, "
            "got 'nan'",
            0);
    const char *most[CNN_PARAM_LIST_MAX];
    for (int i = 0; i < CNN_PARAM_LIST_MAX; i++)
        most[i] = "0.5";
    ok(cnn_params_set_list(&misc, "mean", most, CNN_PARAM_LIST_MAX, here,
                           "misc", &err) == 0,
       "64 numbers fit");
    is_int(cnn_param_floats(&misc, "mean", &values), 64, "and are all kept");
    accepts("mean", "[0.25, 2, -1e-7]");
    char listed[1024] = "";
    cnn_params_format(&misc, listed, sizeof listed);
    like(listed, "mean=[0.25, 2, -1e-07]",
         "a list formats whole numbers without '.0' (%s)", listed);
    ok(cnn_params_set_list(&misc, "mean", most, 0, here, "misc", &err) ==
           -1,
       "an empty list does not");
    ok(cnn_params_set_list(&misc, "epochs", pair, 2, here, "misc", &err) ==
           -1,
       "set_list on an integer fails");
    is_str(message_of(&err),
           "m.yaml:5:12: misc: 'epochs' takes an integer, not a list",
           "list for a scalar message");

    /* Each element of a pair is range-checked; a scalar names no element. */
    struct cnn_params conv;
    cnn_params_init_defaults(&conv, conv_specs, CONV_COUNT, "conv2d", &err);
    ok(cnn_params_set_text(&conv, "kernel", "0", here, "conv2d", &err) == -1,
       "kernel 0 is out of range");
    is_str(message_of(&err),
           "m.yaml:5:12: conv2d: 'kernel' must be between 1 and 1024, got 0",
           "range message");
    ok(cnn_params_set_text(&conv, "kernel", "[3, 2000]", here, "conv2d",
                           &err) == -1,
       "an element out of range");
    like(err.message, "conv2d: each element of 'kernel' must be between 1 "
         "and 1024, got 2000", "element range message");

    /* CHOICE */
    ok(cnn_params_set_text(&conv, "activation", "tanh", here, "conv2d",
                           &err) == 0,
       "a listed choice");
    is_str(cnn_param_string(&conv, "activation"), "tanh", "choice value");
    ok(cnn_params_set_text(&conv, "activation", "rleu", here, "conv2d",
                           &err) == -1,
       "an unlisted choice");
    is_str(message_of(&err),
           "m.yaml:5:12: conv2d: 'activation' must be one of none, relu, "
           "tanh, sigmoid; got 'rleu' (did you mean 'relu'?)",
           "choice message with did-you-mean");
    ok(cnn_params_set_text(&conv, "activation", "RELU", here, "conv2d",
                           &err) == -1,
       "choices are case-sensitive");
    like(err.message, "(did you mean 'relu'?)", "but suggested");
    cnn_params_set_text(&conv, "activation", "softmax", here, "conv2d", &err);
    is_str(err.message,
           "conv2d: 'activation' must be one of none, relu, tanh, sigmoid; "
           "got 'softmax'",
           "no suggestion for an unrelated word");

    /* Unknown names */
    ok(cnn_params_set_text(&conv, "kernal", "3", here, "conv2d", &err) == -1,
       "an unknown name");
    is_str(message_of(&err),
           "m.yaml:5:12: unknown parameter 'kernal' for conv2d; did you mean "
           "'kernel'? (known: out, kernel, stride, padding, bias, "
           "activation)",
           "unknown name message");
    cnn_params_free(&conv);
}

static void test_did_you_mean(void)
{
    const char *words[] = {"epochs", "momentum", "kernel", "conv2d",
                           "learning_rate", "batch"};
    is_str(cnn_did_you_mean("epohcs", words, 6), "epochs", "transposition");
    is_str(cnn_did_you_mean("momentun", words, 6), "momentum", "substitution");
    is_str(cnn_did_you_mean("kernal", words, 6), "kernel", "kernal");
    is_str(cnn_did_you_mean("cov2d", words, 6), "conv2d", "deletion");
    is_str(cnn_did_you_mean("KERNEL", words, 6), "kernel", "case-insensitive");
    is_str(cnn_did_you_mean("lerning_rat", words, 6), "learning_rate",
           "two edits in a long word");
    ok(cnn_did_you_mean("lr", words, 6) == NULL, "'lr' matches nothing");
    ok(cnn_did_you_mean("xyz", words, 6) == NULL, "'xyz' matches nothing");
    is_str(cnn_did_you_mean("btach", words, 6), "batch",
           "one edit in five letters");
    ok(cnn_did_you_mean("bnech", words, 6) == NULL,
       "two edits in five letters are too many");
    const char *one[] = {"y"};
    ok(cnn_did_you_mean("x", one, 1) == NULL, "one letter is never a typo "
       "of another");
    ok(cnn_did_you_mean("", words, 6) == NULL, "empty word");
    ok(cnn_did_you_mean("epochs", NULL, 0) == NULL, "no candidates");
}

static void float_of_int(void)
{
    cnn_param_float(&misc, "epochs");
}
static void int_of_undeclared(void)
{
    cnn_param_int(&misc, "epoch");
}
static void pair_of_list(void)
{
    cnn_param_pair(&misc, "mean", NULL, NULL);
}
static void unset_required(void)
{
    struct cnn_params params;
    struct cnn_error err;
    cnn_params_init_defaults(&params, conv_specs, CONV_COUNT, "conv2d", &err);
    cnn_param_int(&params, "out");
}
static void explicit_of_undeclared(void)
{
    cnn_param_is_explicit(&misc, "nothing");
}

static void test_getter_bugs(void)
{
    test_aborts(float_of_int,
                "cnn_param_float(\"epochs\"): parameter 'epochs' is "
                "declared as an integer",
                "wrong type");
    test_aborts(int_of_undeclared, "declares no parameter 'epoch'",
                "undeclared name");
    test_aborts(pair_of_list, "'mean' is declared as a number or a list",
                "pair of a list");
    test_aborts(unset_required, "required parameter 'out' has no value",
                "unset required");
    test_aborts(explicit_of_undeclared, "declares no parameter 'nothing'",
                "is_explicit of an undeclared name");
}

/* Loads `text` and checks `path` (a map of conv2d parameters). */
static int from_yaml(const char *text, const char *path,
                     struct cnn_params *params, struct cnn_error *err)
{
    struct cnn_node *root = NULL;
    cnn_error_clear(err);
    if (cnn_node_load_string(text, "m.yaml", &root, err) != 0) {
        diag("does not load: %s", message_of(err));
        return -2;
    }
    struct cnn_mark where = {"m.yaml", 1, 1};
    int status = cnn_params_from_node(params, conv_specs, CONV_COUNT,
                                      cnn_node_get_path(root, path), where,
                                      "conv2d", err);
    cnn_node_free(root);
    return status;
}

static void node_fails(const char *text, const char *expected)
{
    struct cnn_params params;
    struct cnn_error err;
    memset(&params, 0x55, sizeof params); /* from_node must not read it */
    ok(from_yaml(text, "conv2d", &params, &err) == -1, "refused: %s",
       expected);
    is_str(message_of(&err), expected, "exact message");
    ok(params.values == NULL && params.count == 0,
       "nothing left allocated after: %s", expected);
}

static void test_from_node(void)
{
    struct cnn_params params;
    struct cnn_error err;
    ok(from_yaml("conv2d:\n"
                 "  out: 64\n"
                 "  kernel: [5, 3]\n"
                 "  stride: 2\n"
                 "  bias: false\n"
                 "  activation: 'relu'\n",
                 "conv2d", &params, &err) == 0,
       "a valid parameter map");
    is_int(cnn_param_int(&params, "out"), 64, "out");
    int kh = 0, kw = 0;
    cnn_param_pair(&params, "kernel", &kh, &kw);
    ok(kh == 5 && kw == 3, "kernel pair from a YAML list");
    cnn_param_pair(&params, "stride", &kh, &kw);
    ok(kh == 2 && kw == 2, "stride from a scalar");
    is_int(cnn_param_bool(&params, "bias"), 0, "bias");
    is_str(cnn_param_string(&params, "activation"), "relu",
           "a quoted choice is fine");
    is_int(cnn_param_is_explicit(&params, "padding"), 0, "padding default");
    is_int(cnn_param_is_explicit(&params, "kernel"), 1, "kernel explicit");
    cnn_params_free(&params);

    node_fails("conv2d:\n  out: 64\n  kernal: 3\n",
               "m.yaml:3:3: unknown parameter 'kernal' for conv2d; did you "
               "mean 'kernel'? (known: out, kernel, stride, padding, bias, "
               "activation)");
    node_fails("conv2d:\n  out: 64\n  dropout: 0.5\n",
               "m.yaml:3:3: unknown parameter 'dropout' for conv2d (known: "
               "out, kernel, stride, padding, bias, activation)");
    node_fails("conv2d: [64, 3]\n",
               "m.yaml:1:9: conv2d takes a mapping of parameters, got a "
               "list");
    node_fails("conv2d: big\n",
               "m.yaml:1:9: conv2d takes a mapping of parameters, got a "
               "scalar 'big'");
    node_fails("conv2d: {out: [1, 2]}\n",
               "m.yaml:1:15: conv2d: 'out' must be an integer, got a list");
    node_fails("conv2d: {out: {n: 1}}\n",
               "m.yaml:1:15: conv2d: 'out' must be an integer, got a "
               "mapping");
    node_fails("conv2d: {out: \"64\"}\n",
               "m.yaml:1:15: conv2d: 'out' must be an integer, got the "
               "quoted text \"64\" (remove the quotes)");
    node_fails("conv2d:\n  out:\n  kernel: 3\n",
               "m.yaml:2:7: conv2d: 'out' has no value (expected an "
               "integer)");
    node_fails("conv2d:\n  out: 8\n  kernel: [3, 0]\n",
               "m.yaml:3:15: conv2d: each element of 'kernel' must be "
               "between 1 and 1024, got 0");
    node_fails("conv2d:\n  out: 8\n  kernel: [3, [1]]\n",
               "m.yaml:3:15: conv2d: each element of 'kernel' must be a "
               "number, got a list");
    node_fails("conv2d:\n  out: 8\n  kernel: [1, 2, 3]\n",
               "m.yaml:3:11: conv2d: 'kernel' takes one or two integers, got "
               "3");
    node_fails("conv2d:\n  out: 8\n  padding: 2000\n",
               "m.yaml:3:12: conv2d: 'padding' must be between 0 and 1024, "
               "got 2000");
    node_fails("conv2d:\n  kernel: 5\n",
               "m.yaml:2:3: conv2d: missing required parameter 'out' (an "
               "integer: output channels)");
    node_fails("conv2d:\n  out: 8\n  activation: relu6\n",
               "m.yaml:3:15: conv2d: 'activation' must be one of none, relu, "
               "tanh, sigmoid; got 'relu6' (did you mean 'relu'?)");

    /* No map at all: defaults, and `where` places a missing parameter. */
    struct cnn_mark where = {"m.yaml", 7, 5};
    ok(cnn_params_from_node(&params, conv_specs, CONV_COUNT, NULL, where,
                            "conv2d", &err) == -1,
       "no map and a required parameter");
    is_str(message_of(&err),
           "m.yaml:7:5: conv2d: missing required parameter 'out' (an "
           "integer: output channels)",
           "placed at `where`");
    ok(cnn_params_from_node(&params, misc_specs, MISC_COUNT, NULL, where,
                            "misc", &err) == 0,
       "no map, nothing required: all defaults");
    is_int(cnn_param_int(&params, "epochs"), 10, "default through from_node");
    cnn_params_free(&params);
    struct cnn_node *root = NULL;
    cnn_node_load_string("misc:\n", "m.yaml", &root, &err);
    ok(cnn_params_from_node(&params, misc_specs, MISC_COUNT,
                            cnn_node_get(root, "misc"), where, "misc",
                            &err) == 0,
       "'misc:' with no value means the defaults");
    cnn_params_free(&params);
    cnn_node_free(root);
}

int main(void)
{
    test_defaults();
    test_bad_schemas();
    test_types();
    test_did_you_mean();
    test_getter_bugs();
    test_from_node();
    cnn_params_free(&misc);
    return done_testing();
}
