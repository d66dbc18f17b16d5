/* cnnlab — the core's side of background decoding (loader.h has the
 * rest). */
#ifndef CNNLAB_DATASET_STREAM_H
#define CNNLAB_DATASET_STREAM_H

#include "cnnlab/loader.h"

/* For cnn_data_free: stops the decoding (images in progress finish; so
 * does the source's `finished`), joins the threads, releases the source
 * and frees the stream. */
void cnn_data_stream_end(struct cnn_data *data);

#endif
