/* A tiny TAP producer for cnnlab's C tests (automake's tap-driver reads it).
 * Each check prints "ok N - what" or "not ok N - what" plus a diagnostic
 * saying what differed; skip() prints a TAP SKIP, never a pass. */
#ifndef CNNLAB_TAP_H
#define CNNLAB_TAP_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count;
static int tap_failed;

static inline void tap_vresult(int passed, const char *fmt, va_list ap)
{
    tap_count++;
    if (!passed)
        tap_failed++;
    printf("%sok %d - ", passed ? "" : "not ", tap_count);
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
}

static inline int ok(int passed, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline int ok(int passed, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tap_vresult(passed, fmt, ap);
    va_end(ap);
    return passed;
}

static inline void diag(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static inline void diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("# ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

#define is_int(got, expected, ...)                                          \
    do {                                                                    \
        long long tap_g_ = (long long)(got), tap_e_ = (long long)(expected); \
        if (!ok(tap_g_ == tap_e_, __VA_ARGS__))                             \
            diag("  got %lld, expected %lld", tap_g_, tap_e_);              \
    } while (0)

#define is_str(got, expected, ...)                                          \
    do {                                                                    \
        const char *tap_g_ = (got), *tap_e_ = (expected);                   \
        int tap_same_ = tap_g_ && tap_e_ ? strcmp(tap_g_, tap_e_) == 0       \
                                         : tap_g_ == tap_e_;                \
        if (!ok(tap_same_, __VA_ARGS__))                                    \
            diag("  got '%s'\n#   expected '%s'", tap_g_ ? tap_g_ : "(null)", \
                 tap_e_ ? tap_e_ : "(null)");                               \
    } while (0)

/* Passes when `haystack` contains `needle`. */
#define like(haystack, needle, ...)                                         \
    do {                                                                    \
        const char *tap_h_ = (haystack), *tap_n_ = (needle);                \
        if (!ok(tap_h_ && strstr(tap_h_, tap_n_) != NULL, __VA_ARGS__))     \
            diag("  '%s'\n#   does not contain '%s'",                       \
                 tap_h_ ? tap_h_ : "(null)", tap_n_);                       \
    } while (0)

/* |got - expected| <= tolerance */
#define is_near(got, expected, tolerance, ...)                              \
    do {                                                                    \
        double tap_g_ = (got), tap_e_ = (expected);                         \
        if (!ok(fabs(tap_g_ - tap_e_) <= (tolerance), __VA_ARGS__))         \
            diag("  got %.9g, expected %.9g (tolerance %g)", tap_g_, tap_e_, \
                 (double)(tolerance));                                      \
    } while (0)

static inline void skip(const char *why, const char *what)
{
    tap_count++;
    printf("ok %d - %s # SKIP %s\n", tap_count, what, why);
}

/* Prints the plan and returns the exit status for main(). */
static inline int done_testing(void)
{
    printf("1..%d\n", tap_count);
    return tap_failed ? 1 : 0;
}

#endif
