/* cnnlab fuzzing — the imagefolder loader's JPEG path: a file decoded by
 * libjpeg-turbo behind our error manager (plugins/loaders/jpeg_decode.c),
 * then resized to the model's square (resize.c).
 *
 * The input is a file. Decoding must either fail saying why (-1: the
 * file's fault; -2: out of memory, which a fuzzer's small inputs never
 * are, since the header limits bound every allocation) or fill the output
 * image, which is exactly channels x size x size bytes on the heap so
 * that ASan sees any write past it. As in the loader, a worker is reused
 * from one file to the next with one size: inputs of even length go to a
 * worker making 24 x 24 RGB images, odd ones to one making 5 x 5 gray
 * ones, so both enlarging and shrinking are exercised. */
#include <stdlib.h>

#include "fuzz.h"
#include "jpeg_decode.h"

struct target {
    struct loaders_jpeg_worker worker;
    int size, channels;
};

static struct target targets[2] = {{.size = 24, .channels = 3},
                                   {.size = 5, .channels = 1}};
static char input_path[512];

static void free_workers(void)
{
    for (int i = 0; i < 2; i++)
        loaders_jpeg_worker_free(&targets[i].worker);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_scratch_path(input_path, sizeof input_path, "input.jpg");
    atexit(free_workers);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct target *target = &targets[size % 2];
    fuzz_write_file(input_path, data, size);
    size_t bytes = (size_t)target->channels * target->size * target->size;
    uint8_t *image = malloc(bytes);
    if (!image)
        fuzz_fail("out of memory");
    struct cnn_error err = {0};
    int status = loaders_jpeg_decode_file(&target->worker, input_path,
                                          target->size, target->channels,
                                          image, &err);
    fuzz_check_error(status, &err, "loaders_jpeg_decode_file");
    if (status != 0 && status != -1 && status != -2)
        fuzz_fail("loaders_jpeg_decode_file returned %d", status);
    if (status == -2)
        fuzz_fail("out of memory on a %zu-byte file: %s", size, err.message);
    free(image);
    return 0;
}
