/* SHA-256 (core/base/sha256.c) against the FIPS 180-4 examples (NIST's
 * "Secure Hashing" example values) and the one-million-'a' message, fed
 * whole and in pieces that cross every block boundary, and a file's
 * digest against its bytes'. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/sha256.h"
#include "tap.h"

static void digest(const void *data, size_t size,
                   char hex[CNN_SHA256_HEX_SIZE])
{
    struct cnn_sha256 hash;
    cnn_sha256_init(&hash);
    cnn_sha256_update(&hash, data, size);
    cnn_sha256_hex(&hash, hex);
}

/* The same message fed `piece` bytes at a time. */
static void digest_in_pieces(const unsigned char *data, size_t size,
                             size_t piece, char hex[CNN_SHA256_HEX_SIZE])
{
    struct cnn_sha256 hash;
    cnn_sha256_init(&hash);
    for (size_t at = 0; at < size; at += piece)
        cnn_sha256_update(&hash, data + at,
                          size - at < piece ? size - at : piece);
    cnn_sha256_hex(&hash, hex);
}

static void known_messages(void)
{
    static const struct {
        const char *message, *expected, *name;
    } cases[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "the empty message"},
        {"abc",
         "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
         "'abc' (one block)"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
         "448 bits (the length spills into a second block)"},
        {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
         "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
         "896 bits (two blocks)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char hex[CNN_SHA256_HEX_SIZE];
        digest(cases[i].message, strlen(cases[i].message), hex);
        is_str(hex, cases[i].expected, "%s", cases[i].name);
    }
    size_t million = 1000000;
    unsigned char *as = malloc(million);
    if (!as) {
        ok(0, "memory for the one-million-'a' message");
        return;
    }
    memset(as, 'a', million);
    const char *expected =
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    size_t pieces[] = {million, 1, 63, 64, 65, 4096};
    for (size_t i = 0; i < sizeof pieces / sizeof *pieces; i++) {
        char hex[CNN_SHA256_HEX_SIZE];
        digest_in_pieces(as, million, pieces[i], hex);
        is_str(hex, expected, "one million 'a', %zu bytes at a time",
               pieces[i]);
    }
    free(as);
}

/* Every length from 0 to 200 (each padding case: 55, 56, 63, 64 bytes
 * left in the last block), whole against 7 bytes at a time. */
static void pieces_agree(void)
{
    unsigned char data[200];
    for (int i = 0; i < 200; i++)
        data[i] = (unsigned char)(i * 37 + 11);
    int agree = 1;
    for (size_t size = 0; size <= sizeof data && agree; size++) {
        char whole[CNN_SHA256_HEX_SIZE], pieces[CNN_SHA256_HEX_SIZE];
        digest(data, size, whole);
        digest_in_pieces(data, size, 7, pieces);
        agree = strcmp(whole, pieces) == 0;
        if (!agree)
            diag("length %zu: %s against %s", size, whole, pieces);
    }
    ok(agree, "lengths 0 to 200: whole and 7 bytes at a time agree");
}

static void files(void)
{
    char path[] = "/tmp/cnnlab-sha256-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, "abc", 3) != 3) {
        ok(0, "a scratch file");
        return;
    }
    close(fd);
    char hex[CNN_SHA256_HEX_SIZE];
    struct cnn_error err = {0};
    is_int(cnn_sha256_file(path, hex, &err), 0, "a file's digest");
    is_str(hex,
           "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
           "a file holding 'abc' has abc's digest");
    unlink(path);
    is_int(cnn_sha256_file(path, hex, &err), -1, "a missing file fails");
    like(err.message, path, "the error names the file");
    like(err.message, "No such file", "and says why");
}

int main(void)
{
    known_messages();
    pieces_agree();
    files();
    return done_testing();
}
