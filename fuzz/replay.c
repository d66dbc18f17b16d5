/* cnnlab fuzzing — replays a fuzzer's corpus, fuzz/corpus/TARGET (the
 * seeds and every input that once found a bug), through its harness
 * without libFuzzer, as a TAP test of make check: so every build, CI's
 * sanitizer build above all, checks that those bugs stay fixed. An input
 * passes when the harness returns; a broken promise aborts the program
 * and a memory error stops it under ASan, which the TAP driver reports.
 * FUZZ_TARGET names the corpus; the program is built once per harness. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "t/tap.h"

#ifndef FUZZ_TARGET
#error "build with -DFUZZ_TARGET='\"name\"' (fuzz/local.mk does)"
#endif

static unsigned char *read_input(const char *path, size_t *size)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return NULL;
    size_t capacity = 4096, used = 0;
    unsigned char *bytes = malloc(capacity);
    while (bytes) {
        used += fread(bytes + used, 1, capacity - used, file);
        if (used < capacity)
            break;
        unsigned char *bigger = realloc(bytes, capacity * 2);
        if (!bigger) {
            free(bytes);
            bytes = NULL;
            break;
        }
        bytes = bigger;
        capacity *= 2;
    }
    int failed = ferror(file);
    fclose(file);
    if (failed) {
        free(bytes);
        return NULL;
    }
    *size = used;
    return bytes;
}

static int not_hidden(const struct dirent *entry)
{
    return entry->d_name[0] != '.';
}

int main(int argc, char **argv)
{
    const char *srcdir = getenv("CNNLAB_SRCDIR");
    char directory[4096];
    snprintf(directory, sizeof directory, "%s/fuzz/corpus/%s",
             srcdir && *srcdir ? srcdir : ".", FUZZ_TARGET);
    struct dirent **entries;
    int count = scandir(directory, &entries, not_hidden, alphasort);
    if (count <= 0) {
        ok(0, "the corpus %s has inputs", directory);
        printf("1..1\n");
        return 1;
    }
    LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 0; i < count; i++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", directory, entries[i]->d_name);
        struct stat info;
        if (stat(path, &info) == 0 && S_ISREG(info.st_mode)) {
            size_t size = 0;
            unsigned char *bytes = read_input(path, &size);
            if (bytes)
                LLVMFuzzerTestOneInput(bytes, size);
            ok(bytes != NULL, "%s/%s: %s", FUZZ_TARGET, entries[i]->d_name,
               bytes ? "the harness's checks hold" : "cannot be read");
            free(bytes);
        }
        free(entries[i]);
    }
    free(entries);
    printf("1..%d\n", tap_count);
    return tap_failed ? 1 : 0;
}
