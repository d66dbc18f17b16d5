/* cnnlab — a map's .csv and .npy files (map_files.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyses.h"
#include "map_files.h"

int map_files_npy(struct cnn_analysis *a, const char *name, const float *map,
                  int rows, int columns, struct cnn_error *err)
{
    char header[128];
    int length = snprintf(header, sizeof header,
                          "{'descr': '<f4', 'fortran_order': False, "
                          "'shape': (%d, %d), }",
                          rows, columns);
    int total = (10 + length + 1 + 63) / 64 * 64;
    size_t count = (size_t)rows * columns;
    unsigned char *bytes = malloc((size_t)total + count * 4);
    if (!bytes)
        return cnn_error_set(err, "out of memory");
    memcpy(bytes, "\x93NUMPY\x01\x00", 8);
    bytes[8] = (unsigned char)((total - 10) & 0xff);
    bytes[9] = (unsigned char)((total - 10) >> 8);
    memset(bytes + 10, ' ', (size_t)total - 10);
    memcpy(bytes + 10, header, (size_t)length);
    bytes[total - 1] = '\n';
    for (size_t i = 0; i < count; i++) {
        uint32_t word;
        memcpy(&word, &map[i], 4);
        for (int b = 0; b < 4; b++)
            bytes[(size_t)total + 4 * i + b] = (unsigned char)(word >> 8 * b);
    }
    int status = cnn_analysis_write_file(a, name, bytes,
                                         (size_t)total + count * 4, err);
    free(bytes);
    return status;
}

int map_files_write(struct cnn_analysis *a, const char *prefix, int index,
                    const float *map, int rows, int columns,
                    struct cnn_error *err)
{
    struct analysis_text text = {0};
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < columns; j++)
            analysis_text_printf(&text, "%.7g%s", map[i * columns + j],
                                 j + 1 < columns ? "," : "\n");
    char name[128];
    snprintf(name, sizeof name, "%s-%d.csv", prefix, index);
    if (analysis_text_write(&text, a, name, err) < 0)
        return -1;
    snprintf(name, sizeof name, "%s-%d.npy", prefix, index);
    return map_files_npy(a, name, map, rows, columns, err);
}
