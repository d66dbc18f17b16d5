/* cnnlab — the report's blocks (report_internal.h): adding headings,
 * paragraphs and notes with their Markdown anchors, and the sentence every
 * caption ends with, saying which manifest, profile and seeds made it. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_blocks.h"

struct cnn_report_block *cnn_report_add_block(struct cnn_report_document *doc,
                                              enum cnn_report_block_kind kind)
{
    if (doc->count == doc->capacity) {
        int capacity = doc->capacity ? doc->capacity * 2 : 64;
        struct cnn_report_block *grown =
            realloc(doc->blocks, (size_t)capacity * sizeof *grown);
        if (!grown)
            return NULL;
        doc->blocks = grown;
        doc->capacity = capacity;
    }
    struct cnn_report_block *block = &doc->blocks[doc->count++];
    memset(block, 0, sizeof *block);
    block->kind = kind;
    return block;
}

/* GitHub's anchor for a heading: lower case, spaces to '-', punctuation
 * but '-' and '_' dropped; a repeated one gets -1, -2, ... */
static char *anchor_for(const struct cnn_report_document *doc,
                        const char *marked)
{
    size_t length = strlen(marked);
    char *anchor = malloc(length + 16);
    if (!anchor)
        return NULL;
    size_t used = 0;
    for (const unsigned char *p = (const unsigned char *)marked; *p; p++) {
        if (*p < 0x20)
            continue; /* marks */
        if (*p >= 0x80 || isalnum(*p) || *p == '-' || *p == '_')
            anchor[used++] = (char)(*p < 0x80 ? tolower(*p) : *p);
        else if (*p == ' ')
            anchor[used++] = '-';
    }
    anchor[used] = '\0';
    for (int suffix = 0;; suffix++) {
        if (suffix > 0)
            snprintf(anchor + used, 16, "-%d", suffix);
        /* The document's own headings: its title and the contents. */
        int taken = strcmp(anchor, "cnnlab-report") == 0 ||
                    strcmp(anchor, "contents") == 0;
        for (int i = 0; i < doc->count && !taken; i++)
            taken = doc->blocks[i].anchor &&
                    strcmp(doc->blocks[i].anchor, anchor) == 0;
        if (!taken)
            return anchor;
    }
}

/* Adds a block whose text is `text` (taken); headings get an anchor. */
int cnn_report_add_text_block(struct cnn_report_document *doc,
                              enum cnn_report_block_kind kind,
                              struct cnn_report_text *text,
                              struct cnn_error *err)
{
    char *marked = cnn_report_text_take(text);
    struct cnn_report_block *block =
        marked ? cnn_report_add_block(doc, kind) : NULL;
    if (!block) {
        free(marked);
        return cnn_error_set(err, "out of memory");
    }
    block->text = marked;
    if (kind == CNN_REPORT_PART || kind == CNN_REPORT_SECTION ||
        kind == CNN_REPORT_SUBSECTION) {
        block->anchor = anchor_for(doc, marked);
        if (!block->anchor)
            return cnn_error_set(err, "out of memory");
    }
    return 0;
}

int cnn_report_add_note(struct cnn_report_document *doc, const char *lead,
                        const char *message, struct cnn_error *err)
{
    struct cnn_report_text text = {0};
    cnn_report_text_emph(&text, lead);
    cnn_report_text_plain(&text, " ");
    cnn_report_text_plain(&text, message);
    return cnn_report_add_text_block(doc, CNN_REPORT_NOTE, &text, err);
}

/* Markdown inline text (backslash escapes, `code`, **strong**) as marked
 * text. */
/* ---- what made a table or figure --------------------------------------- */

static void provenance_add(struct cnn_report_provenance *p, const json_t *info)
{
    const char *manifest =
        json_string_value(json_object_get(info, "manifest"));
    int seen = 0;
    for (int i = 0; manifest && i < p->manifest_count; i++)
        seen |= strcmp(p->manifests[i], manifest) == 0;
    if (manifest && !seen && p->manifest_count < 8)
        p->manifests[p->manifest_count++] = manifest;
    const json_t *profile = json_object_get(info, "profile");
    const char *name = json_is_string(profile) ? json_string_value(profile)
                       : json_is_null(profile) ? ""
                                               : NULL;
    if (!name) {
        p->profile_unknown = 1;
    } else {
        seen = 0;
        for (int i = 0; i < p->profile_count; i++)
            seen |= strcmp(p->profiles[i], name) == 0;
        if (!seen && p->profile_count < 8)
            p->profiles[p->profile_count++] = name;
    }
    const json_t *seed = json_object_get(info, "seed");
    if (!json_is_integer(seed) || json_integer_value(seed) < 0) {
        p->seed_unknown = 1;
        return;
    }
    unsigned long long value = (unsigned long long)json_integer_value(seed);
    int at = 0;
    while (at < p->seed_count && p->seeds[at] < value)
        at++;
    if ((at < p->seed_count && p->seeds[at] == value) || p->seed_count == 64)
        return;
    memmove(&p->seeds[at + 1], &p->seeds[at],
            (size_t)(p->seed_count - at) * sizeof p->seeds[0]);
    p->seeds[at] = value;
    p->seed_count++;
}

void cnn_report_provenance_of_runs(struct cnn_report_provenance *p,
                                   const struct cnn_report_run *runs,
                                   int count)
{
    for (int i = 0; i < count; i++)
        if (runs[i].info)
            provenance_add(p, runs[i].info);
}

/* " Made by `M`, profile `P`, seed S." */
void cnn_report_provenance_text(struct cnn_report_text *text,
                                const struct cnn_report_provenance *p,
                                const char *fallback_manifest)
{
    cnn_report_text_plain(text, " Made by ");
    if (p->manifest_count == 0 && fallback_manifest)
        cnn_report_text_code(text, fallback_manifest);
    else if (p->manifest_count == 0)
        cnn_report_text_plain(text, "an unrecorded manifest");
    for (int i = 0; i < p->manifest_count; i++) {
        cnn_report_text_plain(text, i ? " and " : "");
        cnn_report_text_code(text, p->manifests[i]);
    }
    if (p->profile_count == 0)
        cnn_report_text_plain(text, ", profile not recorded");
    else if (p->profile_count == 1 && !p->profiles[0][0])
        cnn_report_text_plain(text, ", no profile");
    else
        cnn_report_text_plain(text, p->profile_count > 1 ? ", profiles "
                                                         : ", profile ");
    int listed =
        p->profile_count > 1 || (p->profile_count == 1 && p->profiles[0][0]);
    for (int i = 0; listed && i < p->profile_count; i++) {
        cnn_report_text_plain(text, i ? ", " : "");
        if (p->profiles[i][0])
            cnn_report_text_code(text, p->profiles[i]);
        else
            cnn_report_text_plain(text, "none");
    }
    if (p->profile_unknown && p->profile_count > 0)
        cnn_report_text_plain(text, " (some not recorded)");
    if (p->seed_count == 0)
        cnn_report_text_plain(text, ", seed not recorded");
    else
        cnn_report_text_plain(text,
                              p->seed_count > 1 ? ", seeds " : ", seed ");
    for (int i = 0; i < p->seed_count; i++)
        cnn_report_text_printf(text, "%s%llu", i ? ", " : "", p->seeds[i]);
    cnn_report_text_plain(text, ".");
}

void cnn_report_run_provenance(struct cnn_report_text *text,
                               const struct cnn_report_run *run,
                               const struct cnn_report_experiment *e)
{
    struct cnn_report_provenance p = {0};
    cnn_report_provenance_of_runs(&p, run, 1);
    /* A variant's own files without a run.json (what its seeds' runs
     * share): made by those runs. */
    for (int v = 0; !run->info && v < e->table.row_count; v++) {
        const struct cnn_report_variant *variant = &e->variants[v];
        if (variant->run_count > 0 && run >= variant->runs &&
            run < variant->runs + variant->run_count)
            cnn_report_provenance_of_runs(&p, variant->runs,
                                          variant->run_count);
    }
    cnn_report_provenance_text(text, &p, e->manifest);
}

int cnn_report_has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);
    return n > s && strcmp(name + n - s, suffix) == 0;
}

int cnn_report_in_group(const char *name, const char *group)
{
    size_t n = strlen(group);
    return strncmp(name, group, n) == 0 && (name[n] == '-' || name[n] == '.');
}

void cnn_report_document_free(struct cnn_report_document *doc)
{
    for (int i = 0; i < doc->count; i++) {
        struct cnn_report_block *block = &doc->blocks[i];
        free(block->text);
        free(block->anchor);
        free(block->content);
        for (int p = 0; p < block->picture_count; p++) {
            free(block->pictures[p].source);
            free(block->pictures[p].name);
            free(block->pictures[p].copy);
        }
        free(block->pictures);
        free(block->fields);
        free(block->fields_input);
    }
    free(doc->blocks);
    memset(doc, 0, sizeof *doc);
}
