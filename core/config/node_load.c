/* cnnlab — reading YAML into a node tree with libyaml's event parser.
 *
 * Only the part of YAML a manifest needs is accepted: one document of
 * maps, lists and scalars. Anchors, aliases, tags and complex keys make a
 * manifest hard to read and to diff, so they are refused with a message
 * that says so rather than half-supported. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "cnnlab/input_file.h"
#include "cnnlab/node.h"

/* Marks point at file names for as long as any error or node may be
 * reported, which can outlive the tree (an error copied out of a freed
 * manifest) and the caller's own string. So names are interned once in a
 * process-wide list that is never freed: a run loads a handful of files,
 * and each name is stored once however often it is loaded. */
struct interned_name {
    struct interned_name *next;
    char name[];
};

static struct interned_name *interned_names;
static pthread_mutex_t interned_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *intern_name(const char *name)
{
    const char *result = NULL;
    pthread_mutex_lock(&interned_lock);
    for (struct interned_name *entry = interned_names; entry;
         entry = entry->next) {
        if (strcmp(entry->name, name) == 0) {
            result = entry->name;
            break;
        }
    }
    if (!result) {
        size_t length = strlen(name);
        struct interned_name *entry = malloc(sizeof *entry + length + 1);
        if (entry) {
            memcpy(entry->name, name, length + 1);
            entry->next = interned_names;
            interned_names = entry;
            result = entry->name;
        }
    }
    pthread_mutex_unlock(&interned_lock);
    return result;
}

/* Deeper nesting than this is not a manifest; refusing it keeps a hostile
 * file from exhausting the stack through recursion. */
#define NODE_MAX_DEPTH 200

struct loader {
    yaml_parser_t parser;
    const char *name;           /* interned */
    const unsigned char *input; /* for placing reader errors */
    size_t input_length;
    struct cnn_error *err;
    int depth;
};

static struct cnn_mark mark_of(const struct loader *loader, yaml_mark_t mark)
{
    struct cnn_mark result = {loader->name, (int)mark.line + 1,
                              (int)mark.column + 1};
    return result;
}

/* Reader errors (bad UTF-8, control characters) carry a byte offset, not a
 * line; count lines up to it so the message still says where. */
static struct cnn_mark mark_of_offset(const struct loader *loader,
                                      size_t offset)
{
    struct cnn_mark mark = {loader->name, 1, 1};
    for (size_t i = 0; i < offset && i < loader->input_length; i++) {
        if (loader->input[i] == '\n') {
            mark.line++;
            mark.column = 1;
        } else if ((loader->input[i] & 0xC0) != 0x80) {
            mark.column++; /* count characters, not UTF-8 continuations */
        }
    }
    return mark;
}

static int parser_error(struct loader *loader)
{
    yaml_parser_t *parser = &loader->parser;
    const char *problem = parser->problem ? parser->problem : "unknown error";
    if (parser->error == YAML_MEMORY_ERROR)
        return cnn_error_set(loader->err, "%s: out of memory while parsing",
                             loader->name);
    if (parser->error == YAML_READER_ERROR) {
        struct cnn_mark mark = mark_of_offset(loader, parser->problem_offset);
        if (parser->problem_value >= 0)
            return cnn_error_at(loader->err, mark,
                                "invalid YAML: %s (byte 0x%02X)", problem,
                                (unsigned)parser->problem_value);
        return cnn_error_at(loader->err, mark, "invalid YAML: %s", problem);
    }
    struct cnn_mark mark = mark_of(loader, parser->problem_mark);
    /* libyaml's words for a tab say what it could not do, not what to. */
    const char *hint = strstr(problem, "tab character")
                           ? ": YAML indents with spaces only; replace the "
                             "tab with spaces"
                           : "";
    if (parser->context) {
        struct cnn_mark context = mark_of(loader, parser->context_mark);
        return cnn_error_at(loader->err, mark,
                            "invalid YAML: %s (%s that starts at line %d, "
                            "column %d)%s",
                            problem, parser->context, context.line,
                            context.column, hint);
    }
    return cnn_error_at(loader->err, mark, "invalid YAML: %s%s", problem,
                        hint);
}

static int next_event(struct loader *loader, yaml_event_t *event)
{
    if (!yaml_parser_parse(&loader->parser, event))
        return parser_error(loader);
    return 0;
}

/* Refuses the YAML features cnnlab does not support, at the node's mark. */
static int check_plain_features(struct loader *loader,
                                const yaml_event_t *event)
{
    const yaml_char_t *anchor = NULL, *tag = NULL;
    switch (event->type) {
    case YAML_SCALAR_EVENT:
        anchor = event->data.scalar.anchor;
        tag = event->data.scalar.tag;
        break;
    case YAML_SEQUENCE_START_EVENT:
        anchor = event->data.sequence_start.anchor;
        tag = event->data.sequence_start.tag;
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = event->data.mapping_start.anchor;
        tag = event->data.mapping_start.tag;
        break;
    case YAML_ALIAS_EVENT:
        return cnn_error_at(loader->err, mark_of(loader, event->start_mark),
                            "YAML aliases are not supported ('*%s'): write "
                            "the value out in full",
                            (const char *)event->data.alias.anchor);
    default:
        break;
    }
    if (anchor)
        return cnn_error_at(loader->err, mark_of(loader, event->start_mark),
                            "YAML anchors are not supported ('&%s'): write "
                            "the value out in full",
                            (const char *)anchor);
    if (tag) {
        /* libyaml expands "!!str"; show it as it was most likely written. */
        static const char core_prefix[] = "tag:yaml.org,2002:";
        const char *shown = (const char *)tag;
        int core = strncmp(shown, core_prefix, sizeof core_prefix - 1) == 0;
        return cnn_error_at(loader->err, mark_of(loader, event->start_mark),
                            "YAML tags are not supported ('%s%s'): remove "
                            "it; quote the value to make it text",
                            core ? "!!" : "",
                            core ? shown + sizeof core_prefix - 1 : shown);
    }
    return 0;
}

static int parse_node(struct loader *loader, yaml_event_t *event,
                      struct cnn_node **out);

static struct cnn_node *scalar_from_event(struct loader *loader,
                                          const yaml_event_t *event)
{
    const char *value = (const char *)event->data.scalar.value;
    if (strlen(value) != event->data.scalar.length) {
        cnn_error_at(loader->err, mark_of(loader, event->start_mark),
                     "text with a NUL character is not supported");
        return NULL;
    }
    struct cnn_node *node =
        cnn_node_new_scalar(value, mark_of(loader, event->start_mark));
    if (!node) {
        cnn_error_set(loader->err, "out of memory");
        return NULL;
    }
    /* Single, double, literal and folded scalars are all strings. */
    node->quoted = event->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    return node;
}

static int parse_mapping(struct loader *loader, struct cnn_node *map)
{
    for (;;) {
        yaml_event_t key_event;
        if (next_event(loader, &key_event) != 0)
            return -1;
        if (key_event.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&key_event);
            return 0;
        }
        struct cnn_mark key_mark = mark_of(loader, key_event.start_mark);
        int status = check_plain_features(loader, &key_event);
        if (status == 0 && key_event.type != YAML_SCALAR_EVENT)
            status = cnn_error_at(
                loader->err, key_mark,
                "a mapping key must be a name, not %s",
                key_event.type == YAML_MAPPING_START_EVENT ? "a mapping"
                                                           : "a list");
        struct cnn_node *key = NULL;
        if (status == 0) {
            key = scalar_from_event(loader, &key_event);
            status = key ? 0 : -1;
        }
        yaml_event_delete(&key_event);
        if (status != 0)
            return -1;

        for (int i = 0; i < map->count; i++) {
            if (strcmp(map->keys[i], key->text) == 0) {
                cnn_error_at(loader->err, key_mark,
                             "duplicate key '%s' (first at line %d)",
                             key->text, map->key_marks[i].line);
                cnn_node_free(key);
                return -1;
            }
        }

        yaml_event_t value_event;
        struct cnn_node *value = NULL;
        if (next_event(loader, &value_event) != 0 ||
            parse_node(loader, &value_event, &value) != 0) {
            cnn_node_free(key);
            return -1;
        }
        status = cnn_node_map_set(map, key->text, key_mark, value);
        cnn_node_free(key);
        if (status != 0)
            return cnn_error_set(loader->err, "out of memory");
    }
}

static int parse_sequence(struct loader *loader, struct cnn_node *sequence)
{
    for (;;) {
        yaml_event_t event;
        if (next_event(loader, &event) != 0)
            return -1;
        if (event.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&event);
            return 0;
        }
        struct cnn_node *item = NULL;
        if (parse_node(loader, &event, &item) != 0)
            return -1;
        if (cnn_node_sequence_append(sequence, item) != 0)
            return cnn_error_set(loader->err, "out of memory");
    }
}

/* Builds the node that starts with `event` (consumed, whatever happens). */
static int parse_node(struct loader *loader, yaml_event_t *event,
                      struct cnn_node **out)
{
    struct cnn_mark mark = mark_of(loader, event->start_mark);
    int status = check_plain_features(loader, event);
    struct cnn_node *node = NULL;
    if (status == 0) {
        switch (event->type) {
        case YAML_SCALAR_EVENT:
            node = scalar_from_event(loader, event);
            break;
        case YAML_MAPPING_START_EVENT:
            node = cnn_node_new_map(mark);
            break;
        case YAML_SEQUENCE_START_EVENT:
            node = cnn_node_new_sequence(mark);
            break;
        default:
            cnn_error_at(loader->err, mark, "unexpected YAML event %d",
                         (int)event->type);
            break;
        }
        if (!node && !loader->err->failed)
            cnn_error_set(loader->err, "out of memory");
        status = node ? 0 : -1;
    }
    yaml_event_delete(event);
    if (status != 0)
        return -1;

    if (node->kind != CNN_NODE_SCALAR) {
        if (++loader->depth > NODE_MAX_DEPTH) {
            cnn_node_free(node);
            return cnn_error_at(loader->err, mark,
                                "nesting deeper than %d levels is not "
                                "supported",
                                NODE_MAX_DEPTH);
        }
        status = node->kind == CNN_NODE_MAP ? parse_mapping(loader, node)
                                            : parse_sequence(loader, node);
        loader->depth--;
        if (status != 0) {
            cnn_node_free(node);
            return -1;
        }
    }
    *out = node;
    return 0;
}

static int parse_stream(struct loader *loader, struct cnn_node **root)
{
    yaml_event_t event;
    struct cnn_node *node = NULL;
    struct cnn_mark start = {loader->name, 1, 1};

    if (next_event(loader, &event) != 0)
        return -1;
    yaml_event_delete(&event); /* STREAM_START */
    if (next_event(loader, &event) != 0)
        return -1;
    if (event.type == YAML_STREAM_END_EVENT) {
        yaml_event_delete(&event); /* nothing but comments */
        goto empty;
    }
    yaml_event_delete(&event); /* DOCUMENT_START */
    if (next_event(loader, &event) != 0 ||
        parse_node(loader, &event, &node) != 0)
        return -1;
    if (next_event(loader, &event) != 0)
        goto fail;
    yaml_event_delete(&event); /* DOCUMENT_END */
    if (next_event(loader, &event) != 0)
        goto fail;
    if (event.type == YAML_DOCUMENT_START_EVENT) {
        cnn_error_at(loader->err, mark_of(loader, event.start_mark),
                     "a second YAML document starts here; a manifest is "
                     "one document (remove the '---')");
        yaml_event_delete(&event);
        goto fail;
    }
    yaml_event_delete(&event); /* STREAM_END */

    if (node->kind == CNN_NODE_SCALAR && !node->quoted && !node->text[0]) {
        start = node->mark; /* "---" and nothing else */
        cnn_node_free(node);
        goto empty;
    }
    *root = node;
    return 0;

empty:
    *root = cnn_node_new_map(start);
    if (!*root)
        return cnn_error_set(loader->err, "out of memory");
    return 0;
fail:
    cnn_node_free(node);
    return -1;
}

static int load_buffer(const unsigned char *input, size_t length,
                       const char *name, struct cnn_node **root,
                       struct cnn_error *err)
{
    struct loader loader;
    memset(&loader, 0, sizeof loader);
    loader.name = intern_name(name);
    if (!loader.name)
        return cnn_error_set(err, "out of memory");
    loader.input = input;
    loader.input_length = length;
    loader.err = err;
    if (!yaml_parser_initialize(&loader.parser))
        return cnn_error_set(err, "%s: out of memory", name);
    yaml_parser_set_input_string(&loader.parser, input, length);
    *root = NULL;
    int status = parse_stream(&loader, root);
    yaml_parser_delete(&loader.parser);
    return status;
}

int cnn_node_load_string(const char *text, const char *name,
                         struct cnn_node **root, struct cnn_error *err)
{
    if (!name)
        name = "<string>";
    if (!text)
        return cnn_error_set(err, "%s: no text to parse", name);
    return load_buffer((const unsigned char *)text, strlen(text), name, root,
                       err);
}

int cnn_node_load_file(const char *path, struct cnn_node **root,
                       struct cnn_error *err)
{
    FILE *file = cnn_input_fopen(path, err);
    if (!file)
        return -1;
    size_t capacity = 4096, length = 0;
    unsigned char *buffer = malloc(capacity);
    int read_errno = 0;
    while (buffer) {
        if (length == capacity) {
            unsigned char *bigger = realloc(buffer, capacity * 2);
            if (!bigger) {
                free(buffer);
                buffer = NULL;
                break;
            }
            buffer = bigger;
            capacity *= 2;
        }
        size_t got = fread(buffer + length, 1, capacity - length, file);
        length += got;
        if (got == 0) {
            if (ferror(file))
                read_errno = errno ? errno : EIO;
            break;
        }
    }
    fclose(file);
    if (!buffer)
        return cnn_error_set(err, "cannot read '%s': out of memory", path);
    if (read_errno) {
        free(buffer);
        return cnn_error_set(err, "cannot read '%s': %s", path,
                             strerror(read_errno));
    }
    int status = load_buffer(buffer, length, path, root, err);
    free(buffer);
    return status;
}
