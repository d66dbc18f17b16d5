/* cnnlab core-internal: checking a manifest's parameter map against a
 * component's schema, and the text rules that nodes and parameters share.
 * Not installed; plugins never see this. */
#ifndef CNNLAB_CORE_PARAMS_NODE_H
#define CNNLAB_CORE_PARAMS_NODE_H

#include "cnnlab/node.h"
#include "cnnlab/params.h"

/* Builds `params` from a manifest map (NULL: every parameter takes its
 * default, and `where` places a missing-required error). Rejects unknown
 * keys (with did-you-mean and the known names), a node that is not a map,
 * values of the wrong kind, bad or out-of-range values (each at its own
 * file:line:column), and missing required parameters. On failure nothing
 * is left allocated in `params`. */
int cnn_params_from_node(struct cnn_params *params,
                         const struct cnn_param_spec *specs, int count,
                         const struct cnn_node *node, struct cnn_mark where,
                         const char *component, struct cnn_error *err);

/* "unknown parameter 'kernal' for conv2d; did you mean 'kernel'? (known:
 * out, kernel, ...)" at `mark`. Returns -1. */
int cnn_params_unknown_error(const struct cnn_params *params,
                             const char *name, struct cnn_mark mark,
                             const char *component, struct cnn_error *err);

/* cnn_params_set_list, with each element's own mark for its errors
 * (item_marks may be NULL: then `mark` places them all). */
int cnn_params_set_marked_list(struct cnn_params *params, const char *name,
                               const char *const *items,
                               const struct cnn_mark *item_marks, int count,
                               struct cnn_mark mark, const char *component,
                               struct cnn_error *err);

/* The names of a NAME_LIST value while they are parsed and copied. */
struct cnn_name_list {
    int count;
    char **names;             /* count, owned */
    struct cnn_mark *marks;   /* count */
};

/* Checks and copies the elements of a NAME_LIST: each a non-empty name,
 * none twice (placed at the second, naming the first's line), and from a
 * manifest (`from_manifest`) at least one. item_marks may be NULL: `mark`
 * places every element. */
int cnn_params_names_parse(const struct cnn_param_spec *spec,
                           const char *const *items,
                           const struct cnn_mark *item_marks, int count,
                           struct cnn_mark mark, int from_manifest,
                           const char *component, struct cnn_name_list *out,
                           struct cnn_error *err);
/* The same from one text: flow "[a, b]", or names between commas or
 * blanks ("a, b"); `mark` places every element. */
int cnn_params_names_from_text(const struct cnn_param_spec *spec,
                               const char *text, struct cnn_mark mark,
                               int from_manifest, const char *component,
                               struct cnn_name_list *out,
                               struct cnn_error *err);
int cnn_params_names_copy(struct cnn_name_list *dst,
                          const struct cnn_name_list *src,
                          struct cnn_error *err);
void cnn_params_names_free(struct cnn_name_list *list);

/* What a parameter accepts, for messages: "an integer", "true or false",
 * "one of avg, max", "an integer or a list of two integers", ... */
const char *cnn_param_type_description(const struct cnn_param_spec *spec,
                                       char *buf, unsigned long size);

/* Strict readings of scalar text, shared by cnn_node_to_* and parameters:
 * decimal integers; decimal numbers (no nan, inf or hexadecimal);
 * true/True/TRUE/false/False/FALSE. */
enum {
    CNN_TEXT_OK = 0,
    CNN_TEXT_INVALID = 1,      /* not that kind of value */
    CNN_TEXT_OUT_OF_RANGE = 2, /* too large for a long or a double */
};
/* 1 when `text` is one of the words an INT_PAIR takes instead of
 * numbers (spec->choices, "same"); 0 for any other spec or text. */
int cnn_param_is_word(const struct cnn_param_spec *spec, const char *text);

/* The index of `name` in the schema, or -1. */
int cnn_params_find_index(const struct cnn_params *params, const char *name);

int cnn_text_to_long(const char *text, long *value);
int cnn_text_to_double(const char *text, double *value);
int cnn_text_to_bool(const char *text, int *value);

#endif
