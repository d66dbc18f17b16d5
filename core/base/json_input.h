/* cnnlab — JSON files read only when they are regular files (a FIFO
 * named run.json would block jansson's fopen forever). */
#ifndef CNNLAB_CORE_JSON_INPUT_H
#define CNNLAB_CORE_JSON_INPUT_H

#include <jansson.h>

/* json_load_file, but a path that is not a regular file is refused:
 * NULL, with error->text naming the file and its kind. */
json_t *cnn_json_load_regular(const char *path, size_t flags,
                              json_error_t *error);

#endif
