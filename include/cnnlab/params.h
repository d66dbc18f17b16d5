/* cnnlab — component parameters: schemas that plugins declare, and the
 * validated values the core hands them.
 *
 * A plugin never reads YAML. It declares what it accepts as a table of
 * struct cnn_param_spec; the core checks a manifest's keys against that
 * table (unknown key, wrong type, out-of-range value: an error with the
 * manifest's file:line:column and a did-you-mean) and gives the component a
 * struct cnn_params where every declared parameter has a value. */
#ifndef CNNLAB_PARAMS_H
#define CNNLAB_PARAMS_H

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum cnn_param_type {
    CNN_PARAM_INT,        /* integer */
    CNN_PARAM_FLOAT,      /* real number */
    CNN_PARAM_BOOL,       /* true | false */
    CNN_PARAM_STRING,     /* any text (a path, a name) */
    CNN_PARAM_CHOICE,     /* one of spec->choices, e.g. "avg|max" */
    CNN_PARAM_INT_PAIR,   /* k or [kh, kw]: a scalar is used for both;
                             ABI 3.1: also one of spec->choices, when
                             set ("same": cnn_param_word) */
    CNN_PARAM_FLOAT_LIST, /* [a, b, ...] (a scalar is a list of one); the
                             default may be empty ("[]": count 0) */
    /* ABI 2.2: distinct names, [a, b, ...] (a sequence, flow or block), or
     * one text of names between commas or spaces ("a, b"). A manifest's
     * list names at least one; the default may be empty ("[]"). */
    CNN_PARAM_NAME_LIST,
};

/* The most elements a number list holds: 64 (16 before Part C, whose
 * transfer tasks are halves of mini-ImageNet's 33 classes: 17 labels).
 * Plugins read values through the getters below, never through
 * struct cnn_param_value's arrays, so their larger size moves nothing a
 * module built when it was 16 reads. */
#define CNN_PARAM_LIST_MAX 64

struct cnn_param_spec {
    const char *name;
    enum cnn_param_type type;
    /* The default as YAML text ("1", "0.9", "true", "[0.5]"); NULL means the
     * parameter is required. */
    const char *default_value;
    /* Inclusive range for numbers (each element of a pair or list);
     * min == max == 0 means unbounded. Unused by NAME_LIST. */
    double min, max;
    /* CNN_PARAM_CHOICE: "a|b|c". CNN_PARAM_INT_PAIR (ABI 3.1): words the
     * manifest may give instead of numbers ("same"), or NULL. */
    const char *choices;
    const char *help;    /* one line, shown by `cnnlab plugins` */
};

/* Plugins read values through the getters below: minor versions add
 * fields at the end, so an entry's size is the core's, not the plugin's. */
struct cnn_param_value {
    int count;                         /* elements (1 for scalars, 2 pairs,
                                          1 for a NAME_LIST); 0: unset */
    long ints[CNN_PARAM_LIST_MAX];     /* INT, BOOL (0/1), INT_PAIR */
    double floats[CNN_PARAM_LIST_MAX]; /* FLOAT, FLOAT_LIST */
    char *text;                        /* STRING, CHOICE; owned */
    int explicit_value;                /* 1 when set by the manifest */
    /* ABI 2.2, NAME_LIST: name_count names and where each was written
     * (line 0: a default); owned. Read them with cnn_param_names. */
    int name_count;
    char **names;
    struct cnn_mark *name_marks;
};

struct cnn_params {
    const struct cnn_param_spec *specs; /* not owned */
    int count;
    struct cnn_param_value *values;     /* count entries; owned */
};

/* Fills every parameter with its default. Fails when a spec's default does
 * not parse (a plugin bug, reported with the component's name). */
int cnn_params_init_defaults(struct cnn_params *params,
                             const struct cnn_param_spec *specs, int count,
                             const char *component, struct cnn_error *err);

/* Sets one parameter from YAML scalar text (for a pair or list, a scalar
 * is one element; "[1, 2]" flow text is also accepted; a NAME_LIST's text
 * is names between commas or blanks); checks type and range. `mark` places
 * the error (and every name of a NAME_LIST). */
int cnn_params_set_text(struct cnn_params *params, const char *name,
                        const char *text, struct cnn_mark mark,
                        const char *component, struct cnn_error *err);

/* Sets a list, pair or name-list parameter from the texts of its
 * elements. */
int cnn_params_set_list(struct cnn_params *params, const char *name,
                        const char *const *items, int count,
                        struct cnn_mark mark, const char *component,
                        struct cnn_error *err);

/* 1 when the schema declares `name`. */
int cnn_params_has(const struct cnn_params *params, const char *name);

/* Fails naming the first required parameter that has no value. */
int cnn_params_check_required(const struct cnn_params *params,
                              struct cnn_mark mark, const char *component,
                              struct cnn_error *err);

void cnn_params_free(struct cnn_params *params);
int cnn_params_copy(struct cnn_params *dst, const struct cnn_params *src,
                    struct cnn_error *err);

/* Getters. Asking for a name the schema does not declare, or with the wrong
 * type, is a plugin bug: it aborts with a message naming the parameter. */
long cnn_param_int(const struct cnn_params *params, const char *name);
double cnn_param_float(const struct cnn_params *params, const char *name);
int cnn_param_bool(const struct cnn_params *params, const char *name);
const char *cnn_param_string(const struct cnn_params *params,
                             const char *name);
/* INT_PAIR: first and second element (kh, kw). */
void cnn_param_pair(const struct cnn_params *params, const char *name,
                    int *first, int *second);
/* INT_PAIR (ABI 3.1): the word of spec->choices the manifest gave
 * instead of numbers, or NULL when it gave numbers (cnn_param_pair then
 * reads them; after a word it reads (0, 0)). */
const char *cnn_param_word(const struct cnn_params *params,
                           const char *name);
/* FLOAT_LIST: number of elements, and a pointer to them. */
int cnn_param_floats(const struct cnn_params *params, const char *name,
                     const double **values);
/* NAME_LIST (ABI 2.2): number of names (0 only for an empty default),
 * the names in the manifest's order (distinct), and where each was
 * written (marks may be NULL; a default's have line 0), for errors that
 * point at one element. */
int cnn_param_names(const struct cnn_params *params, const char *name,
                    const char *const **names,
                    const struct cnn_mark **marks);
/* 1 when the manifest gave this parameter (not the default). */
int cnn_param_is_explicit(const struct cnn_params *params, const char *name);

/* Writes "name: value, ..." (YAML flow text) into buf, for logs. */
void cnn_params_format(const struct cnn_params *params, char *buf,
                       unsigned long size);

/* The closest of `candidates` to `word` by edit distance, or NULL when none
 * is close enough to be a plausible typo. */
const char *cnn_did_you_mean(const char *word, const char *const *candidates,
                             int count);

#ifdef __cplusplus
}
#endif
#endif
