/* cnnlab — SHA-256 (FIPS 180-4), for the files a run depends on: run.json
 * records the starting weights' digest, which `sha256sum` prints too, so
 * that a run started from weights that have changed since is not taken
 * for complete. */
#ifndef CNNLAB_CORE_SHA256_H
#define CNNLAB_CORE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "cnnlab/error.h"

/* 64 hex digits and the terminating NUL. */
#define CNN_SHA256_HEX_SIZE 65

struct cnn_sha256 {
    uint32_t state[8];
    uint64_t length; /* bytes hashed so far */
    unsigned char block[64];
    size_t used; /* bytes of `block` filled */
};

void cnn_sha256_init(struct cnn_sha256 *hash);
void cnn_sha256_update(struct cnn_sha256 *hash, const void *data,
                       size_t size);
/* The digest as lower-case hex, as sha256sum prints it. */
void cnn_sha256_hex(struct cnn_sha256 *hash, char hex[CNN_SHA256_HEX_SIZE]);

/* The digest of a whole file; -1 with `err` naming the file and why it
 * could not be read. */
int cnn_sha256_file(const char *path, char hex[CNN_SHA256_HEX_SIZE],
                    struct cnn_error *err);

#endif
