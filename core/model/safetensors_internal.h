/* cnnlab — what the safetensors reader (safetensors.c) and writer
 * (safetensors_write.c) share. */
#ifndef CNNLAB_SAFETENSORS_INTERNAL_H
#define CNNLAB_SAFETENSORS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* Converts `count` floats between host order and the file's little-endian
 * order, in place; nothing to do on a little-endian machine. */
void cnn_st_floats_host_to_file_order(float *values, size_t count);

/* "[64, 3, 5, 5]" ("[]" for a scalar). */
const char *cnn_st_format_shape(char *buf, size_t size, int ndim,
                                const int64_t *dims);

/* Number of elements; -1 when a dim is out of 0..2^40 or the product
 * overflows. */
int64_t cnn_st_element_count(int ndim, const int64_t *dims);

#endif
