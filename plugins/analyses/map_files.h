/* cnnlab — a map's data files, as occlusion and the attribution analyses
 * write them: <prefix>-<index>.csv (rows of comma-separated values,
 * %.7g) and <prefix>-<index>.npy (numpy's format 1.0, float32). */
#ifndef CNNLAB_MAP_FILES_H
#define CNNLAB_MAP_FILES_H

#include "cnnlab/analysis.h"

/* numpy's .npy format 1.0 of a float32 array of rows × columns: magic,
 * header length, a dict padded with spaces to a multiple of 64 bytes,
 * then little-endian float32 data. */
int map_files_npy(struct cnn_analysis *analysis, const char *name,
                  const float *map, int rows, int columns,
                  struct cnn_error *err);

/* Both files of the map of test image `index`. */
int map_files_write(struct cnn_analysis *analysis, const char *prefix,
                    int index, const float *map, int rows, int columns,
                    struct cnn_error *err);

#endif
