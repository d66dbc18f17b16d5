/* cnnlab — building the report's blocks (report_internal.h): the pieces
 * report_blocks.c, report_experiment.c, report_run_files.c and
 * report_pictures.c share. */
#ifndef CNNLAB_REPORT_BLOCKS_H
#define CNNLAB_REPORT_BLOCKS_H

#include <jansson.h>

#include "report/report_internal.h"

/* What made a table or figure: the manifests, profiles and seeds its
 * runs' run.json files record. */
struct cnn_report_provenance {
    const char *manifests[8];
    int manifest_count;
    const char *profiles[8]; /* "" none, NULL not recorded */
    int profile_count;
    int profile_unknown;
    unsigned long long seeds[64];
    int seed_count;
    int seed_unknown;
};

/* A new block at the end (NULL when out of memory). */
struct cnn_report_block *cnn_report_add_block(struct cnn_report_document *doc,
                                              enum cnn_report_block_kind kind);
/* Adds a block whose text is `text` (taken); headings get an anchor. */
int cnn_report_add_text_block(struct cnn_report_document *doc,
                              enum cnn_report_block_kind kind,
                              struct cnn_report_text *text,
                              struct cnn_error *err);
/* A note: `lead` in bold, then `message`. */
int cnn_report_add_note(struct cnn_report_document *doc, const char *lead,
                        const char *message, struct cnn_error *err);

void cnn_report_provenance_of_runs(struct cnn_report_provenance *p,
                                   const struct cnn_report_run *runs,
                                   int count);
/* " Made by `M`, profile `P`, seed S." */
void cnn_report_provenance_text(struct cnn_report_text *text,
                                const struct cnn_report_provenance *p,
                                const char *fallback_manifest);
/* The same for one run (a variant's own files without a run.json: its
 * seeds' runs). */
void cnn_report_run_provenance(struct cnn_report_text *text,
                               const struct cnn_report_run *run,
                               const struct cnn_report_experiment *e);

int cnn_report_has_suffix(const char *name, const char *suffix);
/* 1 when `name` belongs to analysis `group`: "group-..." or "group.". */
int cnn_report_in_group(const char *name, const char *group);

/* A run's files (report_run_files.c): an analysis's Markdown table, a
 * text (the model printout), the receptive fields of the run's model. */
int cnn_report_add_markdown(struct cnn_report_document *doc,
                            const struct cnn_report_experiment *e,
                            const struct cnn_report_run *run, const char *name,
                            struct cnn_error *err);
int cnn_report_add_listing(struct cnn_report_document *doc,
                           const struct cnn_report_experiment *e,
                           const struct cnn_report_run *run, const char *name,
                           struct cnn_error *err);
int cnn_report_add_fields(struct cnn_report_document *doc,
                          const struct cnn_report_experiment *e,
                          const struct cnn_report_run *run,
                          const struct cnn_registry *registry,
                          struct cnn_error *err);
/* The pictures of analysis `group` (report_pictures.c): the overview
 * (<group>.png) alone, then the others by name, those with the same
 * stem together in figures of at most two rows. */
int cnn_report_add_pictures(struct cnn_report_document *doc,
                            const struct cnn_report_experiment *e,
                            const struct cnn_report_run *run,
                            const char *group, struct cnn_error *err);

#endif
