/* Huge declared sizes in IDX headers (docs/reliability.md, "Data"): a file
 * whose header promises enormous images is refused from the header, before
 * anything of the promised size is allocated, with a message that names
 * the file and the limit: images of 60000×60000, 4 billion images, and the
 * largest header within the limits (10 million images of 4096×4096,
 * 167 TB) on a file of a few bytes, whose payload is read as it arrives,
 * never allocated from the header; since issue 19 such a header, and one
 * declaring 6.4 million MNIST-sized images (4.8 GB, which a 5 MB gzip can
 * hold), is refused from the header with the limit (1024 MiB) in the
 * message, and so is an image file declaring more images than its label
 * file has labels. (A JPEG declaring 60000×60000 is in
 * t/reliability-data.sh.)
 * Where it can, the test caps the process's data segment at 1 GiB
 * (RLIMIT_DATA), so that a loader allocating from the header would fail
 * with another message, not pass by luck; sanitizer builds reserve more
 * than that for themselves, so there the cap is left out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "imagefolder-fixtures.h"
#include "test-util.h"

#if defined(__SANITIZE_ADDRESS__)
#define RELIABILITY_CAP_MEMORY 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define RELIABILITY_CAP_MEMORY 0
#endif
#endif
#ifndef RELIABILITY_CAP_MEMORY
#define RELIABILITY_CAP_MEMORY 1
#endif

static void cap_memory(void)
{
    if (!RELIABILITY_CAP_MEMORY) {
        diag("sanitizer build: the data segment is not capped");
        return;
    }
    struct rlimit limit;
    if (getrlimit(RLIMIT_DATA, &limit) == 0 &&
        (limit.rlim_max == RLIM_INFINITY || limit.rlim_max > (1UL << 30))) {
        limit.rlim_cur = 1UL << 30;
        if (setrlimit(RLIMIT_DATA, &limit) != 0)
            diag("could not cap the data segment");
    }
}

/* ---- idx -------------------------------------------------------------- */

static void put_u32(uint8_t *at, uint32_t value)
{
    at[0] = (uint8_t)(value >> 24);
    at[1] = (uint8_t)(value >> 16);
    at[2] = (uint8_t)(value >> 8);
    at[3] = (uint8_t)value;
}

static void write_idx_images(const char *path, uint32_t count, uint32_t rows,
                             uint32_t cols, size_t payload)
{
    uint8_t bytes[16 + 64] = {0};
    put_u32(bytes, 0x803);
    put_u32(bytes + 4, count);
    put_u32(bytes + 8, rows);
    put_u32(bytes + 12, cols);
    fixture_write_bytes(path, bytes, 16 + payload);
}

static void write_idx_labels(const char *path, uint32_t count)
{
    uint8_t bytes[8 + 4] = {0};
    put_u32(bytes, 0x801);
    put_u32(bytes + 4, count);
    fixture_write_bytes(path, bytes, 8 + count);
}

static void check_idx(const struct cnn_loader_type *loader, const char *base,
                      uint32_t count, uint32_t rows, uint32_t cols,
                      const char *what, const char *needle)
{
    char root[512], images[600], root_setting[600];
    snprintf(root, sizeof root, "%s/idx", base);
    fixture_mkdirs(root);
    snprintf(images, sizeof images, "%s/train-images-idx3-ubyte", root);
    write_idx_images(images, count, rows, cols, 64);
    write_idx_labels(fixture_path("%s/train-labels-idx1-ubyte", root), 4);
    write_idx_images(fixture_path("%s/t10k-images-idx3-ubyte", root), 4, 4,
                     4, 64);
    write_idx_labels(fixture_path("%s/t10k-labels-idx1-ubyte", root), 4);
    snprintf(root_setting, sizeof root_setting, "root=%s", root);
    const char *settings[] = {root_setting, "val=1", NULL};
    struct cnn_data data;
    struct cnn_error err;
    ok(test_load_data(loader, settings, 1, 0, &data, &err) != 0,
       "idx: %s is refused", what);
    like(err.message, images, "  the message names the file");
    like(err.message, needle, "  and says '%s'", needle);
    ok(!data.train.pixels && !data.val.pixels && !data.test.pixels,
       "  nothing is left allocated");
    cnn_data_free(&data);
    fixture_remove_tree(root);
}

int main(void)
{
    struct cnn_registry *registry = cnn_registry_new();
    if (test_load_plugin(registry, "loaders.so") == 1) {
        cap_memory();
        const struct cnn_loader_type *idx =
            cnn_registry_loader(registry, "idx");
        char base[256];
        snprintf(base, sizeof base, "%s", fixture_temp_root("reliability"));
        if (ok(idx != NULL, "idx is registered")) {
            check_idx(idx, base, 4, 60000, 60000, "images of 60000×60000",
                      "declares images of 60000×60000, expected sides "
                      "1..4096");
            check_idx(idx, base, 4000000000u, 4, 4, "4 billion images",
                      "declares 4000000000 images, expected 1..10000000");
            /* Issue 19, class 9: a file may not declare more than
             * IDX_MAX_MIB of images (a 5 MB gzip can inflate to 5 GB),
             * nor more images than its label file has labels; both are
             * refused from the header, before anything is inflated. */
            check_idx(idx, base, 10000000, 4096, 4096,
                      "10 million images of 4096×4096 in 80 bytes",
                      "declares 10000000 images of 4096×4096 (160000000 "
                      "MiB); IDX image files over 1024 MiB are not read");
            check_idx(idx, base, 6400000, 28, 28,
                      "6.4 million images of 28×28 (4.8 GB)",
                      "declares 6400000 images of 28×28 (4785 MiB); IDX "
                      "image files over 1024 MiB are not read");
            check_idx(idx, base, 5, 4, 4,
                      "5 images for 4 labels",
                      "holds 5 images but");
        }
        fixture_remove_tree(base);
    }
    cnn_registry_free(registry);
    return done_testing();
}
