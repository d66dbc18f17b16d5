/* cnnlab — "did you mean ...?" for misspelt keys and choices.
 *
 * Distance is optimal string alignment (Levenshtein plus swapping two
 * neighbours, the commonest typo: "epohcs"), ignoring case. A suggestion is
 * made only within max(1, length / 3) edits and when fewer edits than the
 * longer word has letters, so "lr" is not "corrected" to an unrelated name. */
#include <ctype.h>
#include <string.h>

#include "cnnlab/params.h"

/* Words longer than this are not typos of a parameter name. */
#define WORD_MAX 128

static int minimum3(int a, int b, int c)
{
    int m = a < b ? a : b;
    return m < c ? m : c;
}

/* Returns the distance, or WORD_MAX + 1 for words too long to compare. */
static int typo_distance(const char *a, const char *b)
{
    int length_a = (int)strlen(a), length_b = (int)strlen(b);
    if (length_a > WORD_MAX || length_b > WORD_MAX)
        return WORD_MAX + 1;
    /* Three rows of the (length_a + 1) x (length_b + 1) table. */
    int rows[3][WORD_MAX + 1];
    int *before = rows[0], *previous = rows[1], *current = rows[2];
    for (int j = 0; j <= length_b; j++)
        previous[j] = j;
    for (int i = 1; i <= length_a; i++) {
        current[0] = i;
        int ca = tolower((unsigned char)a[i - 1]);
        for (int j = 1; j <= length_b; j++) {
            int cb = tolower((unsigned char)b[j - 1]);
            int cost = ca != cb;
            current[j] = minimum3(previous[j] + 1, current[j - 1] + 1,
                                  previous[j - 1] + cost);
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb &&
                before[j - 2] + 1 < current[j])
                current[j] = before[j - 2] + 1;
        }
        int *recycled = before;
        before = previous;
        previous = current;
        current = recycled;
    }
    return previous[length_b];
}

const char *cnn_did_you_mean(const char *word, const char *const *candidates,
                             int count)
{
    if (!word || !candidates)
        return NULL;
    int length = (int)strlen(word);
    int threshold = length / 3 > 1 ? length / 3 : 1;
    const char *best = NULL;
    int best_distance = threshold + 1;
    for (int i = 0; i < count; i++) {
        const char *candidate = candidates[i];
        if (!candidate)
            continue;
        int distance = typo_distance(word, candidate);
        int longer = length > (int)strlen(candidate) ? length
                                                     : (int)strlen(candidate);
        if (distance < best_distance && distance < longer) {
            best = candidate;
            best_distance = distance;
        }
    }
    return best;
}
