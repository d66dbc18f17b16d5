/* cnnlab — the report as a list of blocks (report_internal.h): each
 * table, figure and listing numbered here once, so both writers number
 * them alike.
 *
 * The study's parts in order, each section with its experiments or a
 * note that it is missing, then the other experiments. For each
 * experiment: its section heading, the manifest's description, where
 * the results are and what made them, notes on anything stale,
 * incomplete or shared, the table, then each run with its analyses in
 * run.json's order (then files of no listed analysis, as the pages do):
 * the analysis's Markdown tables, its texts (summary.txt, the model
 * printout, followed by the model's receptive fields) and its pictures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_blocks.h"

/* The prefix of a shown file (png, md, txt) that no analysis of run.json
 * claims, in `prefix`; "" when claimed or not shown. */
static void unclaimed_prefix(const char *name, const json_t *analyses,
                             char *prefix, size_t size)
{
    prefix[0] = '\0';
    if (!cnn_report_has_suffix(name, ".png") &&
        !cnn_report_has_suffix(name, ".md") &&
        !cnn_report_has_suffix(name, ".txt"))
        return;
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)analyses, key, value)
    {
        if (cnn_report_in_group(name, key))
            return;
    }
    size_t n = strcspn(name, "-.");
    if (n >= size)
        n = size - 1;
    memcpy(prefix, name, n);
    prefix[n] = '\0';
}

struct run_context {
    struct cnn_report_document *doc;
    const struct cnn_report_experiment *e;
    const struct cnn_report_run *run;
    const struct cnn_registry *registry;
    int fields_done;
};

static int add_group(struct run_context *c, const char *group,
                     const json_t *outcome, struct cnn_error *err)
{
    const struct cnn_report_run *run = c->run;
    const char *text = json_string_value(outcome);
    if (text && strcmp(text, "ok") != 0) {
        char message[1024];
        snprintf(message, sizeof message, "analysis %s of %s: %s", group,
                 run->label, text);
        if (cnn_report_add_note(c->doc, "Failed:", message, err) < 0)
            return -1;
    }
    for (int i = 0; i < run->file_count; i++) {
        const char *name = run->files[i];
        if (cnn_report_in_group(name, group) &&
            cnn_report_has_suffix(name, ".md") &&
            cnn_report_add_markdown(c->doc, c->e, run, name, err) < 0)
            return -1;
    }
    for (int i = 0; i < run->file_count; i++) {
        const char *name = run->files[i];
        if (!cnn_report_in_group(name, group) ||
            !cnn_report_has_suffix(name, ".txt"))
            continue;
        if (cnn_report_add_listing(c->doc, c->e, run, name, err) < 0)
            return -1;
        /* The model printout, then the same model's receptive fields. */
        if (strcmp(name, "summary.txt") == 0 && !c->fields_done) {
            c->fields_done = 1;
            if (cnn_report_add_fields(c->doc, c->e, run, c->registry, err) < 0)
                return -1;
        }
    }
    /* Filter identification cuts each activation's field out of its
     * image: the fields first. */
    if (strcmp(group, "filters") == 0 && !c->fields_done) {
        c->fields_done = 1;
        if (cnn_report_add_fields(c->doc, c->e, run, c->registry, err) < 0)
            return -1;
    }
    return cnn_report_add_pictures(c->doc, c->e, run, group, err);
}

static int add_run(struct cnn_report_document *doc,
                   const struct cnn_report_experiment *e,
                   const struct cnn_report_run *run, const char *note,
                   const struct cnn_registry *registry, struct cnn_error *err)
{
    struct cnn_report_text text = {0};
    cnn_report_text_plain(&text, run->label);
    if (cnn_report_add_text_block(doc, CNN_REPORT_SUBSECTION, &text, err) < 0)
        return -1;
    const json_t *info = run->info;
    const char *status = json_string_value(json_object_get(info, "status"));
    cnn_report_text_plain(&text, "Run directory ");
    cnn_report_text_code(&text, run->directory);
    if (status) {
        cnn_report_text_plain(&text, ": ");
        cnn_report_text_plain(&text, status);
    }
    const char *device =
        json_string_value(json_object_get(info, "device_name"));
    if (device) {
        cnn_report_text_plain(&text, ", on ");
        cnn_report_text_plain(&text, device);
    }
    cnn_report_text_plain(&text, ".");
    if (cnn_report_add_text_block(doc, CNN_REPORT_PARAGRAPH, &text, err) < 0 ||
        (note && cnn_report_add_note(doc, "Note:", note, err) < 0))
        return -1;
    if (run->info_error &&
        cnn_report_add_note(doc, "Unreadable:", run->info_error, err) < 0)
        return -1;
    const char *error = json_string_value(json_object_get(info, "error"));
    if (error && cnn_report_add_note(doc, "Error:", error, err) < 0)
        return -1;
    const json_t *analyses = json_object_get(info, "analyses");
    json_t *empty = json_object();
    if (!empty)
        return cnn_error_set(err, "out of memory");
    if (!json_is_object(analyses))
        analyses = empty;
    struct run_context c = {doc, e, run, registry, 0};
    int result = 0;
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)analyses, key, value)
    {
        if (result == 0)
            result = add_group(&c, key, value, err);
    }
    /* Files sorted by name put each unclaimed prefix's files together. */
    char previous[256] = "";
    for (int i = 0; result == 0 && i < run->file_count; i++) {
        char prefix[256];
        unclaimed_prefix(run->files[i], analyses, prefix, sizeof prefix);
        if (!prefix[0] || strcmp(prefix, previous) == 0)
            continue;
        snprintf(previous, sizeof previous, "%s", prefix);
        result = add_group(&c, prefix, NULL, err);
    }
    json_decref(empty);
    return result;
}

/* "1-conv, 2-conv" of the rows whose status matches. */
static void row_list(struct cnn_report_text *text, const struct cnn_table *t,
                     int stale, int with_status)
{
    int shown = 0;
    for (int i = 0; i < t->row_count; i++) {
        enum cnn_table_status s = t->rows[i].status;
        if (s == CNN_TABLE_COMPLETE || (s == CNN_TABLE_STALE) != stale)
            continue;
        cnn_report_text_plain(text, shown++ ? ", " : "");
        cnn_report_text_code(text, t->rows[i].variant);
        if (with_status) {
            cnn_report_text_plain(text, " ");
            cnn_report_text_plain(text, cnn_table_status_name(s));
        }
    }
}

static void rerun_command(struct cnn_report_text *text,
                          const struct cnn_report_experiment *e,
                          const struct cnn_report_provenance *p,
                          const char *results)
{
    char command[4096];
    const char *profile =
        p->profile_count == 1 && p->profiles[0][0] ? p->profiles[0] : NULL;
    int to_results = strcmp(results, "results") != 0;
    snprintf(command, sizeof command, "cnnlab run %s%s%s%s%s",
             e->manifest ? e->manifest : "MANIFEST",
             profile ? " --profile " : "", profile ? profile : "",
             to_results ? " --out " : "", to_results ? results : "");
    cnn_report_text_code(text, command);
}

static int experiment_notes(struct cnn_report_document *doc,
                            const struct cnn_report_experiment *e,
                            const struct cnn_report_provenance *p,
                            const char *results, struct cnn_error *err)
{
    struct cnn_report_text text = {0};
    if (e->error && cnn_report_add_note(doc, "Unreadable:", e->error, err) < 0)
        return -1;
    if (e->shared_with) {
        cnn_report_text_emph(&text, "Shared directory:");
        cnn_report_text_plain(&text, " ");
        cnn_report_text_code(&text, e->directory);
        cnn_report_text_plain(&text, " also holds the results of ");
        cnn_report_text_code(&text, e->shared_with);
        cnn_report_text_plain(&text, ", a manifest with the same name");
        cnn_report_text_plain(&text, e->rebuilt
                                         ? "; its table.md is that "
                                           "manifest's, so this table is "
                                           "rebuilt from these runs' "
                                           "run.json files"
                                         : " (shown in its own section)");
        cnn_report_text_plain(&text, ". Give one of the manifests another ");
        cnn_report_text_code(&text, "name:");
        cnn_report_text_plain(&text, " so that each has a directory.");
        if (cnn_report_add_text_block(doc, CNN_REPORT_NOTE, &text, err) < 0)
            return -1;
    }
    /* The last run's profile is that of the variants still current. */
    struct cnn_report_provenance current = {0};
    for (int i = 0; i < e->table.row_count; i++)
        if (e->table.rows[i].status == CNN_TABLE_COMPLETE)
            cnn_report_provenance_of_runs(&current, e->variants[i].runs,
                                          e->variants[i].run_count);
    if (current.profile_count > 0)
        p = &current;
    int stale = 0, incomplete = 0;
    for (int i = 0; i < e->table.row_count; i++) {
        stale += e->table.rows[i].status == CNN_TABLE_STALE;
        incomplete += e->table.rows[i].status != CNN_TABLE_COMPLETE &&
                      e->table.rows[i].status != CNN_TABLE_STALE;
    }
    if (stale) {
        cnn_report_text_emph(&text, "Stale:");
        cnn_report_text_printf(&text, " %d of %d variants (", stale,
                               e->table.row_count);
        row_list(&text, &e->table, 1, 0);
        cnn_report_text_plain(&text, ") were made by another resolved "
                                     "manifest than the last run of the "
                                     "experiment (another profile, an "
                                     "override or an edit); the table marks "
                                     "them stale, and ");
        rerun_command(&text, e, p, results);
        cnn_report_text_plain(&text, " redoes them.");
        if (cnn_report_add_text_block(doc, CNN_REPORT_NOTE, &text, err) < 0)
            return -1;
    }
    if (incomplete) {
        cnn_report_text_emph(&text, "Incomplete:");
        cnn_report_text_printf(&text, " %d of %d variants (", incomplete,
                               e->table.row_count);
        row_list(&text, &e->table, 0, 1);
        cnn_report_text_plain(&text, ") have no results to show; ");
        rerun_command(&text, e, p, results);
        cnn_report_text_plain(&text, " runs them.");
        if (cnn_report_add_text_block(doc, CNN_REPORT_NOTE, &text, err) < 0)
            return -1;
    }
    doc->stale += stale || incomplete || e->error;
    return 0;
}

static int add_results_table(struct cnn_report_document *doc,
                             const struct cnn_report_experiment *e,
                             const struct cnn_report_provenance *p,
                             struct cnn_error *err)
{
    const struct cnn_table_settings *s = &e->table.settings;
    struct cnn_report_text text = {0};
    cnn_report_text_plain(&text, e->name);
    cnn_report_text_plain(&text, ": the train, validation and test accuracy "
                                 "(%) of each variant's selected epoch, and "
                                 "its parameters");
    if (cnn_table_has_seeds(&e->table))
        cnn_report_text_plain(&text, "; with seeds, the mean \xc2\xb1 sample "
                                     "std over each variant's n complete "
                                     "seeds");
    if (cnn_table_has_seeds(&e->table) && s->compare[0])
        cnn_report_text_printf(&text, ", and the test accuracy's difference "
                                      "to %s",
                               s->compare);
    if (s->epoch_count > 0) {
        cnn_report_text_plain(&text, "; the accuracy after epoch");
        cnn_report_text_plain(&text, s->epoch_count > 1 ? "s " : " ");
        for (int i = 0; i < s->epoch_count; i++)
            cnn_report_text_printf(&text, "%s%d", i ? ", " : "", s->epochs[i]);
    }
    if (s->epoch_seconds)
        cnn_report_text_plain(&text, "; the mean \xc2\xb1 sample std of the "
                                     "epoch's wall time");
    cnn_report_text_plain(&text,
                          e->rebuilt ? " (rebuilt from the runs)." : ".");
    cnn_report_provenance_text(&text, p, e->manifest);
    if (cnn_report_add_text_block(doc, CNN_REPORT_RESULTS, &text, err) < 0)
        return -1;
    doc->blocks[doc->count - 1].table = &e->table;
    doc->blocks[doc->count - 1].number = ++doc->tables;
    return 0;
}

static int add_experiment(struct cnn_report_document *doc,
                          const struct cnn_report_experiment *e,
                          const char *results,
                          const struct cnn_registry *registry,
                          struct cnn_error *err)
{
    doc->experiments++;
    struct cnn_report_text text = {0};
    if (e->spec) {
        cnn_report_text_printf(&text, "%s %s", e->spec->section,
                               e->spec->title);
    } else {
        cnn_report_text_plain(&text, e->name);
    }
    if (cnn_report_add_text_block(doc, CNN_REPORT_SECTION, &text, err) < 0)
        return -1;
    if (e->description) {
        cnn_report_text_plain(&text, e->description);
        if (cnn_report_add_text_block(doc, CNN_REPORT_PARAGRAPH, &text, err) <
            0)
            return -1;
    }
    struct cnn_report_provenance p = {0};
    for (int i = 0; i < e->table.row_count; i++)
        cnn_report_provenance_of_runs(&p, e->variants[i].runs,
                                      e->variants[i].run_count);
    int complete = 0;
    for (int i = 0; i < e->table.row_count; i++)
        complete += e->table.rows[i].status == CNN_TABLE_COMPLETE;
    cnn_report_text_plain(&text, "Results in ");
    cnn_report_text_code(&text, e->directory);
    cnn_report_text_printf(&text, ": %d of %d variant%s complete.", complete,
                           e->table.row_count,
                           e->table.row_count == 1 ? "" : "s");
    cnn_report_provenance_text(&text, &p, e->manifest);
    if (cnn_report_add_text_block(doc, CNN_REPORT_PARAGRAPH, &text, err) < 0 ||
        experiment_notes(doc, e, &p, results, err) < 0)
        return -1;
    if (e->table.row_count > 0 && add_results_table(doc, e, &p, err) < 0)
        return -1;
    for (int v = 0; v < e->table.row_count; v++) {
        const struct cnn_report_variant *variant = &e->variants[v];
        if (variant->run_count == 0) {
            char message[1024];
            snprintf(message, sizeof message,
                     "%s/%s has no run directory (%s).", e->name,
                     e->table.rows[v].variant,
                     cnn_table_status_name(e->table.rows[v].status));
            if (cnn_report_add_note(doc, "Not run:", message, err) < 0)
                return -1;
        }
        for (int r = 0; r < variant->run_count; r++)
            if (add_run(doc, e, &variant->runs[r],
                        r == 0 ? e->table.rows[v].note : NULL, registry,
                        err) < 0)
                return -1;
    }
    return 0;
}

static int add_missing(struct cnn_report_document *doc,
                       const struct cnn_report_spec *spec, const char *results,
                       struct cnn_error *err)
{
    doc->missing++;
    struct cnn_report_text text = {0};
    cnn_report_text_printf(&text, "%s %s", spec->section, spec->title);
    if (cnn_report_add_text_block(doc, CNN_REPORT_SECTION, &text, err) < 0)
        return -1;
    char command[1024];
    int to_results = strcmp(results, "results") != 0;
    snprintf(command, sizeof command, "cnnlab run %s%s%s", spec->manifest,
             to_results ? " --out " : "", to_results ? results : "");
    cnn_report_text_emph(&text, "Missing:");
    cnn_report_text_plain(&text, " no results of ");
    cnn_report_text_code(&text, spec->manifest);
    cnn_report_text_plain(&text, " under ");
    cnn_report_text_code(&text, results);
    cnn_report_text_plain(&text, ". ");
    cnn_report_text_code(&text, command);
    cnn_report_text_plain(&text, spec->part == 'B'
                                     ? " makes them (after training "
                                       "experiments/part-a/best.yaml when "
                                       "its weights are missing); add "
                                     : " makes them; add ");
    cnn_report_text_code(&text, "--profile smoke");
    cnn_report_text_plain(&text, " for a check in seconds.");
    return cnn_report_add_text_block(doc, CNN_REPORT_NOTE, &text, err);
}

static int add_part(struct cnn_report_document *doc, const char *title,
                    struct cnn_error *err)
{
    struct cnn_report_text text = {0};
    cnn_report_text_plain(&text, title);
    return cnn_report_add_text_block(doc, CNN_REPORT_PART, &text, err);
}

static int add_introduction(struct cnn_report_document *doc,
                            const char *results, struct cnn_error *err)
{
    struct cnn_report_text text = {0};
    cnn_report_text_plain(&text, "Every experiment under ");
    cnn_report_text_code(&text, results);
    cnn_report_text_printf(
        &text,
        ", in the order of the study: Part A (A.1 to A.7) and Part B (B.1 "
        "to B.3), then any other experiment by name. %d experiment%s; %d of "
        "the study's %d sections without results; %d experiment%s with "
        "stale or incomplete variants. Each table, figure and listing says "
        "which manifest, profile and seeds made it. Pictures are copies in ",
        doc->experiments, doc->experiments == 1 ? "" : "s", doc->missing,
        cnn_report_spec_count, doc->stale, doc->stale == 1 ? "" : "s");
    cnn_report_text_code(&text, "figures/");
    cnn_report_text_plain(&text, "; written by ");
    cnn_report_text_code(&text, "cnnlab report");
    cnn_report_text_plain(&text, " from the files on disk.");
    if (cnn_report_add_text_block(doc, CNN_REPORT_PARAGRAPH, &text, err) < 0)
        return -1;
    /* To the front. */
    struct cnn_report_block intro = doc->blocks[doc->count - 1];
    memmove(&doc->blocks[1], &doc->blocks[0],
            (size_t)(doc->count - 1) * sizeof intro);
    doc->blocks[0] = intro;
    return 0;
}

int cnn_report_build(struct cnn_report_document *doc, const char *results,
                     const struct cnn_report_results *found,
                     const struct cnn_registry *registry,
                     struct cnn_error *err)
{
    memset(doc, 0, sizeof *doc);
    doc->results = results;
    static const struct {
        char part;
        const char *title;
    } parts[] = {{'A', "Part A: architecture experiments"},
                 {'B', "Part B: what the best model learned"}};
    int status = 0;
    for (int k = 0; status == 0 && k < 2; k++) {
        status = add_part(doc, parts[k].title, err);
        for (int s = 0; status == 0 && s < cnn_report_spec_count; s++) {
            const struct cnn_report_spec *spec = &cnn_report_specs[s];
            if (spec->part != parts[k].part)
                continue;
            int shown = 0;
            for (int i = 0; status == 0 && i < found->count; i++)
                if (found->experiments[i].spec == spec) {
                    shown = 1;
                    status = add_experiment(doc, &found->experiments[i],
                                            results, registry, err);
                }
            if (status == 0 && !shown)
                status = add_missing(doc, spec, results, err);
        }
    }
    int others = 0;
    for (int i = 0; status == 0 && i < found->count; i++) {
        if (found->experiments[i].spec)
            continue;
        if (others++ == 0)
            status = add_part(doc, "Other experiments", err);
        if (status == 0)
            status = add_experiment(doc, &found->experiments[i], results,
                                    registry, err);
    }
    if (status == 0)
        status = add_introduction(doc, results, err);
    if (status < 0)
        cnn_report_document_free(doc);
    return status;
}
