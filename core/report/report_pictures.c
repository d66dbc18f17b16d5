/* cnnlab — a run's pictures in the report: their sizes from the PNG
 * header, what each shows (from the built-in analyses' names), the
 * copies' names, and figures of up to two rows. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/path.h"
#include "cnnlab/input_file.h"
#include "report/report_blocks.h"

/* Pictures at most this wide (pixels) go three to a row, others two. */
#define NARROW_PICTURE 480

/* The width and height in a PNG's header; 0 when not a PNG. */
static int png_size(const char *path, int *width, int *height)
{
    static const unsigned char signature[8] = {0x89, 'P',  'N',  'G',
                                               '\r', '\n', 0x1a, '\n'};
    unsigned char header[24];
    struct cnn_error ignored = {0};
    FILE *file = cnn_input_fopen(path, &ignored);
    size_t got = file ? fread(header, 1, sizeof header, file) : 0;
    if (file)
        fclose(file);
    if (got < sizeof header || memcmp(header, signature, 8) != 0 ||
        memcmp(header + 12, "IHDR", 4) != 0)
        return 0;
    uint32_t w = (uint32_t)header[16] << 24 | (uint32_t)header[17] << 16 |
                 (uint32_t)header[18] << 8 | header[19];
    uint32_t h = (uint32_t)header[20] << 24 | (uint32_t)header[21] << 16 |
                 (uint32_t)header[22] << 8 | header[23];
    if (w == 0 || h == 0 || w > 1 << 20 || h > 1 << 20)
        return 0;
    *width = (int)w;
    *height = (int)h;
    return 1;
}

/* What a picture of the built-in analyses shows, from its name. */
static void describe_picture(struct cnn_report_text *text, const char *name)
{
    size_t n = strlen(name) - strlen(".png");
    char stem[256];
    snprintf(stem, sizeof stem, "%.*s", (int)(n < 255 ? n : 255), name);
    char *dash = strrchr(stem, '-');
    const char *last = dash ? dash + 1 : "";
    if (strcmp(stem, "curves-loss") == 0) {
        cnn_report_text_plain(text, "loss per epoch");
    } else if (strcmp(stem, "curves-accuracy") == 0) {
        cnn_report_text_plain(text, "accuracy per epoch");
    } else if (strcmp(stem, "occlusion") == 0) {
        cnn_report_text_plain(text, "each occluded image beside its map");
    } else if (strncmp(stem, "occlusion-", 10) == 0 &&
               !strchr(stem + 10, '-')) {
        cnn_report_text_plain(text, "test image ");
        cnn_report_text_plain(text, stem + 10);
        cnn_report_text_plain(text, " and the probability of its predicted "
                                    "class under the window at each pixel");
    } else if ((strncmp(stem, "filters-", 8) == 0 ||
                strncmp(stem, "ablation-", 9) == 0) &&
               dash && dash > strchr(stem, '-')) {
        int filters = stem[0] == 'f';
        *dash = '\0';
        const char *layer = strchr(stem, '-') + 1;
        cnn_report_text_plain(text, filters ? "the test images that excite "
                                            : "misses with ");
        cnn_report_text_plain(text, "filter ");
        cnn_report_text_plain(text, last);
        cnn_report_text_plain(text, " of ");
        cnn_report_text_plain(text, layer);
        cnn_report_text_plain(text, filters ? " most, and their patches"
                                            : " switched off");
    } else {
        cnn_report_text_plain(text, "the picture");
    }
    cnn_report_text_plain(text, " (");
    cnn_report_text_code(text, name);
    cnn_report_text_plain(text, ")");
}

/* "filters-conv1-15.png" -> kind "filters", layer "conv1", id "15";
 * "occlusion-3.png" -> "occlusion", "", "3". 0 for other names. */
static int series_member(const char *name, char *kind, char *layer, char *id,
                         size_t size)
{
    char stem[256];
    size_t n = strlen(name) - strlen(".png");
    if (n >= sizeof stem || n >= size)
        return 0;
    memcpy(stem, name, n);
    stem[n] = '\0';
    char *first = strchr(stem, '-');
    char *last = strrchr(stem, '-');
    if (!first || !last[1])
        return 0;
    *first = '\0';
    if (strcmp(stem, "occlusion") == 0 && first == last) {
        layer[0] = '\0';
    } else if ((strcmp(stem, "filters") == 0 ||
                strcmp(stem, "ablation") == 0) &&
               last > first + 1) {
        *last = '\0';
        snprintf(layer, size, "%s", first + 1);
    } else {
        return 0;
    }
    snprintf(kind, size, "%s", stem);
    snprintf(id, size, "%s", last + 1);
    return 1;
}

/* One description for pictures of one series (the filters of a layer,
 * their ablations, the occlusion maps): "filters 15, 18 and 37 of conv1
 * ...". 0 when the pictures are not one series. */
static int describe_series(struct cnn_report_text *text, char **names,
                           int count)
{
    char kind[64], layer[64], id[64], other_kind[64], other_layer[64];
    if (!series_member(names[0], kind, layer, id, sizeof kind))
        return 0;
    for (int i = 1; i < count; i++)
        if (!series_member(names[i], other_kind, other_layer, id,
                           sizeof other_kind) ||
            strcmp(kind, other_kind) != 0 || strcmp(layer, other_layer) != 0)
            return 0;
    int occlusion = kind[0] == 'o';
    cnn_report_text_plain(text, occlusion ? "test images "
                                : kind[0] == 'f'
                                    ? "the test images that excite filters "
                                    : "misses with filters ");
    for (int i = 0; i < count; i++) {
        series_member(names[i], other_kind, other_layer, id, sizeof id);
        cnn_report_text_plain(text, i == 0          ? ""
                                    : i + 1 < count ? ", "
                                                    : " and ");
        cnn_report_text_plain(text, id);
    }
    if (!occlusion) {
        cnn_report_text_plain(text, " of ");
        cnn_report_text_plain(text, layer);
    }
    cnn_report_text_plain(text,
                          occlusion ? ", each beside the probability of its "
                                      "predicted class under the window at "
                                      "each pixel"
                          : kind[0] == 'f' ? " most, and their patches"
                                           : " switched off, one at a time");
    cnn_report_text_plain(text, " (");
    for (int i = 0; i < count; i++) {
        cnn_report_text_plain(text, i ? ", " : "");
        cnn_report_text_code(text, names[i]);
    }
    cnn_report_text_plain(text, ")");
    return 1;
}

/* The copy's name: a number (unique) and the name with only letters,
 * digits, '.' and '-', which LaTeX and URLs take as they are. */
static char *copy_name(int number, const char *name)
{
    size_t size = strlen(name) + 32;
    char *copy = malloc(size);
    if (!copy)
        return NULL;
    int used = snprintf(copy, size, "figures/%03d-", number);
    for (const char *p = name; *p; p++)
        copy[used++] =
            isalnum((unsigned char)*p) || *p == '.' || *p == '-' ? *p : '-';
    copy[used] = '\0';
    return copy;
}

/* One figure of pictures [first, last) of names, with one caption. */
static int add_figure(struct cnn_report_document *doc,
                      const struct cnn_report_experiment *e,
                      const struct cnn_report_run *run, char **names,
                      const int *widths, const int *heights, int count,
                      struct cnn_error *err)
{
    struct cnn_report_text text = {0};
    cnn_report_text_plain(&text, run->label);
    cnn_report_text_plain(&text, ": ");
    if (count == 1 || !describe_series(&text, names, count))
        for (int i = 0; i < count; i++) {
            cnn_report_text_plain(&text, i ? "; " : "");
            describe_picture(&text, names[i]);
        }
    int columns = widths[0] <= NARROW_PICTURE ? 3 : 2;
    for (int i = 1; i < count; i++)
        if (widths[i] > NARROW_PICTURE)
            columns = 2;
    if (count > 1)
        cnn_report_text_plain(&text, count > columns
                                         ? ", left to right, top to bottom."
                                         : ", left to right.");
    else
        cnn_report_text_plain(&text, ".");
    cnn_report_run_provenance(&text, run, e);
    if (cnn_report_add_text_block(doc, CNN_REPORT_FIGURE, &text, err) < 0)
        return -1;
    struct cnn_report_block *block = &doc->blocks[doc->count - 1];
    block->number = ++doc->figures;
    block->pictures = calloc((size_t)count, sizeof *block->pictures);
    if (!block->pictures)
        return cnn_error_set(err, "out of memory");
    for (int i = 0; i < count; i++) {
        struct cnn_report_picture *picture = &block->pictures[i];
        block->picture_count++;
        picture->source = cnn_path_join(run->directory, names[i]);
        picture->name = strdup(names[i]);
        picture->copy = copy_name(++doc->pictures, names[i]);
        picture->width = widths[i];
        picture->height = heights[i];
        if (!picture->source || !picture->name || !picture->copy)
            return cnn_error_set(err, "out of memory");
    }
    return 0;
}

/* The part of a picture's name that groups it with others:
 * "filters-conv1-15.png" -> "filters-conv1". */
static size_t stem_length(const char *name)
{
    const char *dash = strrchr(name, '-');
    return dash ? (size_t)(dash - name) : strlen(name);
}

/* The group's pictures: the overview (<group>.png) alone, then the others
 * by name, those with the same stem together, at most two rows each. */
int cnn_report_add_pictures(struct cnn_report_document *doc,
                            const struct cnn_report_experiment *e,
                            const struct cnn_report_run *run,
                            const char *group, struct cnn_error *err)
{
    int capacity = run->file_count ? run->file_count : 1;
    char **names = calloc((size_t)capacity, sizeof *names);
    int *widths = calloc((size_t)capacity, sizeof *widths);
    int *heights = calloc((size_t)capacity, sizeof *heights);
    int count = 0, status = 0;
    if (!names || !widths || !heights)
        status = cnn_error_set(err, "out of memory");
    for (int pass = 0; status == 0 && pass < 2; pass++)
        for (int i = 0; status == 0 && i < run->file_count; i++) {
            const char *name = run->files[i];
            if (!cnn_report_in_group(name, group) ||
                !cnn_report_has_suffix(name, ".png") ||
                (name[strlen(group)] == '.') != (pass == 0))
                continue;
            char *path = cnn_path_join(run->directory, name);
            int w = 0, h = 0;
            int is_png = path && png_size(path, &w, &h);
            free(path);
            if (is_png) {
                names[count] = run->files[i];
                widths[count] = w;
                heights[count++] = h;
            } else {
                char message[512];
                snprintf(message, sizeof message,
                         "%s/%s is not a PNG "
                         "picture",
                         run->label, name);
                status = cnn_report_add_note(doc, "Not shown:", message, err);
            }
        }
    for (int first = 0; status == 0 && first < count;) {
        int last = first + 1;
        int overview = names[first][strlen(group)] == '.';
        size_t stem = stem_length(names[first]);
        int columns = widths[first] <= NARROW_PICTURE ? 3 : 2;
        while (!overview && last < count && last - first < 2 * columns &&
               stem_length(names[last]) == stem &&
               strncmp(names[last], names[first], stem) == 0) {
            if (widths[last] > NARROW_PICTURE)
                columns = 2;
            if (last - first >= 2 * columns)
                break;
            last++;
        }
        status = add_figure(doc, e, run, names + first, widths + first,
                            heights + first, last - first, err);
        first = last;
    }
    free(names);
    free(widths);
    free(heights);
    return status;
}
