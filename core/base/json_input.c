/* cnnlab — JSON input through cnn_input_fopen: see json_input.h. */
#include "base/json_input.h"

#include <stdio.h>

#include "cnnlab/input_file.h"

json_t *cnn_json_load_regular(const char *path, size_t flags,
                              json_error_t *error)
{
    struct cnn_error why = {0};
    FILE *file = cnn_input_fopen(path, &why);
    if (!file) {
        if (error) {
            json_error_t empty = {0};
            *error = empty;
            snprintf(error->source, sizeof error->source, "%s", path);
            snprintf(error->text, sizeof error->text, "%s", why.message);
        }
        return NULL;
    }
    json_t *json = json_loadf(file, flags, error);
    fclose(file);
    return json;
}
