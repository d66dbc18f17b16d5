/* NAME_LIST parameters (ABI 2.2): a YAML sequence, flow or block, or the
 * older text "a, b" give the same names; each name keeps its own
 * file:line:column; an empty list, a name twice and an element that is not
 * text are errors placed at the element; defaults, copies and the log
 * format. */
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

static const struct cnn_param_spec specs[] = {
    {"layers", CNN_PARAM_NAME_LIST, "[]", 0, 0, NULL,
     "layers to look at; left out: every conv2d layer"},
    {"tags", CNN_PARAM_NAME_LIST, "a, b", 0, 0, NULL, "tags"},
    {"title", CNN_PARAM_STRING, "t", 0, 0, NULL, "a title"},
};
#define SPEC_COUNT ((int)(sizeof specs / sizeof specs[0]))

static char formatted[4096];

/* `yaml` (a map of parameters, as file "p.yaml") into `params`. */
static int from_yaml(const char *yaml, struct cnn_params *params,
                     struct cnn_error *err)
{
    struct cnn_node *root = NULL;
    cnn_error_clear(err);
    if (cnn_node_load_string(yaml, "p.yaml", &root, err) != 0)
        return -1;
    struct cnn_mark where = {"p.yaml", 1, 1};
    int status = cnn_params_from_node(params, specs, SPEC_COUNT, root, where,
                                      "filters", err);
    cnn_node_free(root);
    return status;
}

/* The names of `layers` as "a b c", and their places as "l:c l:c". */
static void names_of(const struct cnn_params *params, char *names,
                     char *places, size_t size)
{
    const char *const *list;
    const struct cnn_mark *marks;
    int count = cnn_param_names(params, "layers", &list, &marks);
    size_t used_names = 0, used_places = 0;
    names[0] = places[0] = '\0';
    for (int i = 0; i < count; i++) {
        used_names += (size_t)snprintf(names + used_names, size - used_names,
                                       "%s%s", i ? " " : "", list[i]);
        used_places += (size_t)snprintf(places + used_places,
                                        size - used_places, "%s%d:%d",
                                        i ? " " : "", marks[i].line,
                                        marks[i].column);
    }
}

/* `yaml` gives `layers` the names `expected`, written at `places`. */
static void gives(const char *yaml, const char *expected, const char *places,
                  const char *what)
{
    struct cnn_params params;
    struct cnn_error err;
    if (!ok(from_yaml(yaml, &params, &err) == 0, "%s: accepted", what)) {
        diag("%s", cnn_error_format(&err, formatted, sizeof formatted));
        return;
    }
    char names[256], got_places[256];
    names_of(&params, names, got_places, sizeof names);
    is_str(names, expected, "%s: the names", what);
    is_str(got_places, places, "%s: each name's line:column", what);
    ok(cnn_param_is_explicit(&params, "layers"), "%s: explicit", what);
    cnn_params_free(&params);
}

/* `yaml` is refused with `expected` in "file:line:column: message". */
static void refuses(const char *yaml, const char *expected, const char *what)
{
    struct cnn_params params;
    struct cnn_error err;
    int status = from_yaml(yaml, &params, &err);
    ok(status != 0, "%s: refused", what);
    like(cnn_error_format(&err, formatted, sizeof formatted), expected,
         "%s: the message and its place", what);
    if (status == 0)
        cnn_params_free(&params);
}

static void test_forms(void)
{
    /* Columns: "layers: [" is 9 characters. */
    gives("layers: [conv1, conv2]\n", "conv1 conv2", "1:10 1:17",
          "a flow sequence");
    gives("layers:\n  - conv1\n  - conv2\n", "conv1 conv2", "2:5 3:5",
          "a block sequence");
    /* The text form: every name is placed at the text. */
    gives("layers: \"conv1, conv2\"\n", "conv1 conv2", "1:9 1:9",
          "the text form, commas");
    gives("layers: conv1 conv2\n", "conv1 conv2", "1:9 1:9",
          "the text form, spaces");
    gives("layers: \"conv3,conv1 ,, conv2\"\n", "conv3 conv1 conv2",
          "1:9 1:9 1:9", "the text form keeps the order");
    gives("layers: [\"3\", 'my layer']\n", "3 my layer", "1:10 1:15",
          "quoted elements are names, whatever they read as");
    gives("layers: conv1\n", "conv1", "1:9", "one name");
}

static void test_errors(void)
{
    refuses("layers: []\n",
            "p.yaml:1:9: filters: 'layers' is an empty list: name at least "
            "one, or leave 'layers' out for its default; layers: layers to "
            "look at",
            "an empty flow list");
    refuses("layers: \"\"\n", "p.yaml:1:9: filters: 'layers' is an empty list",
            "an empty text");
    refuses("layers: \" , \"\n", "p.yaml:1:9: filters: 'layers' is an empty",
            "a text of separators");
    refuses("layers: [conv1, conv2, conv1]\n",
            "p.yaml:1:24: filters: 'layers' names 'conv1' twice (first at "
            "line 1, column 10): keep one",
            "a name twice in a flow list");
    refuses("layers:\n  - conv2\n  - conv1\n  - conv2\n",
            "p.yaml:4:5: filters: 'layers' names 'conv2' twice (first at "
            "line 2, column 5)",
            "a name twice in a block list");
    refuses("layers: \"conv1, conv1\"\n",
            "p.yaml:1:9: filters: 'layers' names 'conv1' twice: keep one",
            "a name twice in the text form");
    refuses("layers: [conv1, 3]\n",
            "p.yaml:1:17: filters: each element of 'layers' must be a name, "
            "got the number 3 (quote it if it is a name)",
            "a number");
    refuses("layers: [conv1, 2.5]\n",
            "p.yaml:1:17: filters: each element of 'layers' must be a name, "
            "got the number 2.5",
            "a real number");
    refuses("layers: [true, conv1]\n",
            "p.yaml:1:10: filters: each element of 'layers' must be a name, "
            "got the boolean true",
            "a boolean");
    refuses("layers: [conv1, ~]\n",
            "p.yaml:1:17: filters: each element of 'layers' must be a name, "
            "got null (nothing)",
            "a null");
    refuses("layers:\n  - conv1\n  -\n",
            "p.yaml:3:4: filters: each element of 'layers' must be a name, "
            "got null",
            "an empty block element");
    refuses("layers: [conv1, [conv2, conv3]]\n",
            "p.yaml:1:17: filters: each element of 'layers' must be a name, "
            "got a list",
            "a nested list");
    refuses("layers: [conv1, {conv2: 1}]\n",
            "p.yaml:1:17: filters: each element of 'layers' must be a name, "
            "got a mapping",
            "a mapping");
    refuses("layers: {conv1: 1}\n",
            "p.yaml:1:9: filters: 'layers' must be a list of names, got a "
            "mapping",
            "a mapping for the list");
    refuses("layers: \"[a, , b]\"\n",
            "p.yaml:1:9: filters: element 2 of 'layers' is empty",
            "an empty element of flow text");
    refuses("layers: \"[a, b\"\n",
            "p.yaml:1:9: filters: 'layers' must be a list of names, e.g. "
            "[a, b], got '[a, b'",
            "flow text without its bracket");
}

static struct cnn_params defaults;

static void names_of_string(void)
{
    cnn_param_names(&defaults, "title", NULL, NULL);
}

static void test_api(void)
{
    struct cnn_error err;
    cnn_error_clear(&err);
    if (!ok(cnn_params_init_defaults(&defaults, specs, SPEC_COUNT, "filters",
                                     &err) == 0,
            "the defaults parse"))
        return;
    const char *const *names;
    const struct cnn_mark *marks;
    is_int(cnn_param_names(&defaults, "layers", &names, &marks), 0,
           "default []: no names");
    is_int(cnn_param_names(&defaults, "tags", &names, &marks), 2,
           "default \"a, b\": two names");
    is_str(names[1], "b", "in order");
    is_int(marks[1].line, 0, "a default's names have no place");
    ok(!cnn_param_is_explicit(&defaults, "layers"), "a default is not "
       "explicit");

    /* Through the public setters (a plugin's own parameters). */
    struct cnn_mark here = {"m.yaml", 7, 3};
    const char *items[] = {"x", "y", "x"};
    ok(cnn_params_set_list(&defaults, "layers", items, 2, here, "filters",
                           &err) == 0,
       "cnn_params_set_list sets names");
    is_int(cnn_param_names(&defaults, "layers", &names, &marks), 2,
           "two names set");
    is_int(marks[1].line, 7, "placed at the list's mark");
    ok(cnn_params_set_list(&defaults, "layers", items, 3, here, "filters",
                           &err) != 0,
       "a name twice is refused");
    is_int(cnn_param_names(&defaults, "layers", &names, NULL), 2,
           "a refused value leaves the old one");
    ok(cnn_params_set_list(&defaults, "layers", items, 0, here, "filters",
                           &err) != 0,
       "no names from a manifest is refused");
    ok(cnn_params_set_text(&defaults, "tags", "[p, \"q r\"]", here,
                           "filters", &err) == 0,
       "cnn_params_set_text reads flow text");
    cnn_params_format(&defaults, formatted, sizeof formatted);
    is_str(formatted, "layers=[x, y], tags=[p, \"q r\"], title=t",
           "the log format quotes what is not a word");

    /* A copy owns its names. */
    struct cnn_params copy;
    ok(cnn_params_copy(&copy, &defaults, &err) == 0, "copied");
    cnn_params_set_text(&defaults, "layers", "z", here, "filters", &err);
    is_int(cnn_param_names(&copy, "layers", &names, &marks), 2,
           "the copy keeps its names");
    is_str(names[0], "x", "its own text");
    is_int(marks[0].column, 3, "and places");
    cnn_params_free(&copy);

    test_aborts(names_of_string,
                "cnn_param_names(\"title\"): parameter 'title' "
                "is declared as text",
                "cnn_param_names of a string");

    const struct cnn_param_spec past[] = {
        {"x", (enum cnn_param_type)(CNN_PARAM_NAME_LIST + 1), "1", 0, 0,
         NULL, NULL},
    };
    struct cnn_params bad;
    ok(cnn_params_init_defaults(&bad, past, 1, "c", &err) != 0,
       "a type past NAME_LIST is a plugin bug");
    like(err.message, "unknown type", "and says so");
    cnn_params_free(&defaults);
}

int main(void)
{
    test_forms();
    test_errors();
    test_api();
    return done_testing();
}
