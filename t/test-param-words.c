/* Tests of the words an INT_PAIR parameter takes instead of numbers (ABI
 * 3.1, spec->choices: conv2d's `padding: same`): a word is kept as the
 * value's text and read with cnn_param_word, numbers still read as a
 * pair; a misspelt word is refused with the words listed and a
 * did-you-mean, at its place; quoting a word is fine, quoting a number
 * is not; a pair without words refuses every word as before; formatting,
 * copying, a word as the default, and how the type is described. */
#include <stdio.h>
#include <string.h>

#include "cnnlab/node.h"
#include "cnnlab/params.h"
#include "config/params_node.h"
#include "tap.h"

static const struct cnn_param_spec specs[] = {
    {"padding", CNN_PARAM_INT_PAIR, "0", 0, 1024, "same", "zero padding"},
    {"stride", CNN_PARAM_INT_PAIR, "1", 1, 1024, NULL, "no words"},
    {"fill", CNN_PARAM_INT_PAIR, "same", 0, 9, "same|valid", "two words"},
};
#define COUNT ((int)(sizeof specs / sizeof *specs))

static const struct cnn_mark here = {"m.yaml", 5, 12};
static char formatted[4096];

static const char *message_of(const struct cnn_error *err)
{
    return cnn_error_format(err, formatted, sizeof formatted);
}

static struct cnn_params params;

static void reset(void)
{
    struct cnn_error err = {0};
    cnn_params_free(&params);
    if (cnn_params_init_defaults(&params, specs, COUNT, "conv2d", &err))
        printf("Bail out! defaults: %s\n", message_of(&err));
}

static void set_fails(const char *name, const char *text,
                      const char *expected)
{
    struct cnn_error err = {0};
    ok(cnn_params_set_text(&params, name, text, here, "conv2d", &err) == -1,
       "%s: '%s' is refused", name, text);
    is_str(message_of(&err), expected, "%s: '%s': the message", name, text);
}

static void test_values(void)
{
    struct cnn_error err = {0};
    int h = -1, w = -1;
    reset();
    ok(cnn_param_word(&params, "padding") == NULL,
       "a numeric default has no word");
    is_str(cnn_param_word(&params, "fill"), "same",
           "a word as the default is the word");

    ok(cnn_params_set_text(&params, "padding", "same", here, "conv2d",
                           &err) == 0,
       "padding: same is accepted");
    is_str(cnn_param_word(&params, "padding"), "same",
           "cnn_param_word gives it");
    cnn_param_pair(&params, "padding", &h, &w);
    ok(h == 0 && w == 0, "its pair reads (0, 0)");
    ok(cnn_param_is_explicit(&params, "padding"), "it counts as given");

    const char *numbers[] = {"1", "2"};
    ok(cnn_params_set_list(&params, "padding", numbers, 2, here, "conv2d",
                           &err) == 0,
       "numbers replace the word");
    cnn_param_pair(&params, "padding", &h, &w);
    ok(cnn_param_word(&params, "padding") == NULL && h == 1 && w == 2,
       "then the word is gone and the pair is (1, 2)");
    ok(cnn_params_set_text(&params, "padding", "3", here, "conv2d",
                           &err) == 0,
       "one integer still works");
    cnn_param_pair(&params, "padding", &h, &w);
    ok(cnn_param_word(&params, "padding") == NULL && h == 3 && w == 3,
       "and reads (3, 3)");
}

static void test_refusals(void)
{
    reset();
    set_fails("padding", "sme",
              "m.yaml:5:12: conv2d: 'padding' must be an integer, a list "
              "of two integers or same; got 'sme' (did you mean 'same'?)");
    is_str(cnn_param_word(&params, "padding"), NULL,
           "a refused word leaves the default");
    set_fails("padding", "full",
              "m.yaml:5:12: conv2d: 'padding' must be an integer, a list "
              "of two integers or same; got 'full'");
    set_fails("padding", "2000",
              "m.yaml:5:12: conv2d: 'padding' must be between 0 and 1024, "
              "got 2000");
    set_fails("padding", "[same, 1]",
              "m.yaml:5:12: conv2d: each element of 'padding' must be an "
              "integer, got 'same'");
    set_fails("stride", "same",
              "m.yaml:5:12: conv2d: 'stride' must be an integer, got "
              "'same'");
    set_fails("fill", "vaild",
              "m.yaml:5:12: conv2d: 'fill' must be an integer, a list of "
              "two integers or one of same, valid; got 'vaild' (did you "
              "mean 'valid'?)");
}

/* A conv2d map from YAML, through the manifest's checks. */
static int from_yaml(const char *text, struct cnn_error *err)
{
    struct cnn_node *root = NULL;
    cnn_params_free(&params);
    if (cnn_node_load_string(text, "m.yaml", &root, err) != 0)
        return -2;
    struct cnn_mark where = {"m.yaml", 1, 1};
    int status = cnn_params_from_node(&params, specs, COUNT,
                                      cnn_node_get(root, "conv2d"), where,
                                      "conv2d", err);
    cnn_node_free(root);
    return status;
}

static void test_yaml(void)
{
    struct cnn_error err = {0};
    ok(from_yaml("conv2d: {padding: same, fill: valid}\n", &err) == 0,
       "YAML: padding: same");
    is_str(cnn_param_word(&params, "padding"), "same", "YAML: the word");
    is_str(cnn_param_word(&params, "fill"), "valid", "YAML: another word");
    char text[256];
    cnn_params_format(&params, text, sizeof text);
    is_str(text, "padding=same, stride=1, fill=valid",
           "formatted as the words");

    struct cnn_params copy;
    ok(cnn_params_copy(&copy, &params, &err) == 0 &&
           cnn_param_word(&copy, "padding") &&
           cnn_param_word(&copy, "padding") !=
               cnn_param_word(&params, "padding") &&
           strcmp(cnn_param_word(&copy, "padding"), "same") == 0,
       "a copy has its own copy of the word");
    cnn_params_free(&copy);

    ok(from_yaml("conv2d: {padding: \"same\"}\n", &err) == 0,
       "YAML: a quoted word is the word");
    cnn_error_clear(&err);
    ok(from_yaml("conv2d: {padding: \"2\"}\n", &err) == -1,
       "YAML: a quoted number is still refused");
    like(message_of(&err), "m.yaml:1:19: conv2d: 'padding' must be an "
         "integer, a list of two integers or same, got the quoted text "
         "\"2\" (remove the quotes)", "saying what it takes");
    cnn_error_clear(&err);
    ok(from_yaml("conv2d:\n  padding: [1, same]\n", &err) == -1,
       "YAML: a word inside a list is refused");
    like(message_of(&err), "m.yaml:2:16: conv2d: each element of 'padding' "
         "must be an integer, got 'same'", "at the element");
}

static void test_descriptions(void)
{
    char buf[256];
    is_str(cnn_param_type_description(&specs[0], buf, sizeof buf),
           "an integer, a list of two integers or same", "one word");
    is_str(cnn_param_type_description(&specs[1], buf, sizeof buf),
           "an integer or a list of two integers", "no words");
    is_str(cnn_param_type_description(&specs[2], buf, sizeof buf),
           "an integer, a list of two integers or one of same, valid",
           "two words");
    ok(cnn_param_is_word(&specs[2], "valid") &&
           !cnn_param_is_word(&specs[2], "val") &&
           !cnn_param_is_word(&specs[1], "same"),
       "cnn_param_is_word matches whole words of the spec only");
}

int main(void)
{
    test_values();
    test_refusals();
    test_yaml();
    test_descriptions();
    cnn_params_free(&params);
    return done_testing();
}
