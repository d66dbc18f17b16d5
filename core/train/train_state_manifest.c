/* cnnlab — where two resolved manifests differ, for the message that
 * refuses to resume a run under another manifest. */
#include <stdio.h>
#include <string.h>

#include "train/train_state_internal.h"

struct difference {
    char *where;
    size_t where_size;
    char *saved_text, *now_text;
    size_t text_size;
};

static void describe(const struct cnn_node *node, char *text, size_t size)
{
    if (!node)
        snprintf(text, size, "absent");
    else if (node->kind == CNN_NODE_SCALAR)
        snprintf(text, size, "'%.80s%s'", node->text,
                 strlen(node->text) > 80 ? "..." : "");
    else if (node->kind == CNN_NODE_SEQUENCE)
        snprintf(text, size, "a list of %d", node->count);
    else
        snprintf(text, size, "%s", cnn_node_kind_name(node->kind));
}

static int found(struct difference *d, const char *where,
                 const struct cnn_node *saved, const struct cnn_node *now)
{
    snprintf(d->where, d->where_size, "%s", where[0] ? where : "the root");
    describe(saved, d->saved_text, d->text_size);
    describe(now, d->now_text, d->text_size);
    return 1;
}

static int differ(struct difference *d, const char *where,
                  const struct cnn_node *saved, const struct cnn_node *now)
{
    if (!saved || !now || saved->kind != now->kind)
        return found(d, where, saved, now);
    char inner[512];
    switch (saved->kind) {
    case CNN_NODE_SCALAR:
        return strcmp(saved->text, now->text) != 0 ||
                       saved->quoted != now->quoted
                   ? found(d, where, saved, now)
                   : 0;
    case CNN_NODE_SEQUENCE:
        for (int i = 0; i < saved->count && i < now->count; i++) {
            snprintf(inner, sizeof inner, "%s[%d]", where, i);
            if (differ(d, inner, saved->items[i], now->items[i]))
                return 1;
        }
        return saved->count != now->count ? found(d, where, saved, now) : 0;
    case CNN_NODE_MAP:
        /* Keys in either tree, each once: the saved tree's first. */
        for (int side = 0; side < 2; side++) {
            const struct cnn_node *from = side ? now : saved;
            for (int i = 0; i < from->count; i++) {
                const char *key = from->keys[i];
                if (side && cnn_node_get(saved, key))
                    continue;
                snprintf(inner, sizeof inner, "%s%s%s", where,
                         where[0] ? "." : "", key);
                if (differ(d, inner, cnn_node_get(saved, key),
                           cnn_node_get(now, key)))
                    return 1;
            }
        }
        return 0;
    }
    return 0;
}

int cnn_manifest_difference(const struct cnn_node *saved,
                            const struct cnn_node *now, char *where,
                            size_t where_size, char *saved_text,
                            char *now_text, size_t text_size)
{
    struct difference d = {where, where_size, saved_text, now_text,
                           text_size};
    return differ(&d, "", saved, now);
}
