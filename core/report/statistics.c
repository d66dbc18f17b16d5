/* cnnlab — statistics of repeated runs: see statistics.h. */
#include <math.h>
#include <stdlib.h>

#include "report/statistics.h"

double cnn_stats_mean(const double *values, int n)
{
    if (n < 1)
        return NAN;
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += values[i];
    return sum / n;
}

double cnn_stats_sample_std(const double *values, int n)
{
    if (n < 2)
        return NAN;
    double mean = cnn_stats_mean(values, n), squares = 0;
    for (int i = 0; i < n; i++)
        squares += (values[i] - mean) * (values[i] - mean);
    return sqrt(squares / (n - 1));
}

/* The continued fraction of the regularised incomplete beta function
 * I_x(a, b), evaluated by the modified Lentz method; it converges fast for
 * x < (a + 1) / (a + b + 2), which the caller ensures. */
static double beta_fraction(double a, double b, double x)
{
    const double tiny = 1e-300;
    double c = 1, d = 1 - (a + b) * x / (a + 1);
    if (fabs(d) < tiny)
        d = tiny;
    d = 1 / d;
    double result = d;
    for (int m = 1; m <= 1000; m++) {
        /* The even term, then the odd one, of the fraction. */
        double even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
        double odd =
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
        double terms[2] = {even, odd};
        double change = 1;
        for (int k = 0; k < 2; k++) {
            d = 1 + terms[k] * d;
            if (fabs(d) < tiny)
                d = tiny;
            c = 1 + terms[k] / c;
            if (fabs(c) < tiny)
                c = tiny;
            d = 1 / d;
            change = c * d;
            result *= change;
        }
        if (fabs(change - 1) < 1e-15)
            break;
    }
    return result;
}

static double incomplete_beta(double a, double b, double x)
{
    if (x <= 0)
        return 0;
    if (x >= 1)
        return 1;
    double front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) +
                       b * log1p(-x));
    if (x < (a + 1) / (a + b + 2))
        return front * beta_fraction(a, b, x) / a;
    return 1 - front * beta_fraction(b, a, 1 - x) / b;
}

double cnn_stats_t_cdf(double t, int df)
{
    if (df < 1 || isnan(t))
        return NAN;
    double x = df / (df + t * t);
    double tail = 0.5 * incomplete_beta(df / 2.0, 0.5, x); /* P(T > |t|) */
    return t >= 0 ? 1 - tail : tail;
}

double cnn_stats_t_quantile(double p, int df)
{
    if (df < 1 || !(p > 0 && p < 1))
        return NAN;
    /* Closed forms for one and two degrees of freedom. */
    if (df == 1)
        return tan(M_PI * (p - 0.5));
    if (df == 2)
        return (2 * p - 1) / sqrt(2 * p * (1 - p));
    if (p < 0.5)
        return -cnn_stats_t_quantile(1 - p, df);
    /* Bisection: the CDF is increasing, and 200 halvings of the bracket
     * leave it below double precision. */
    double low = 0, high = 1;
    while (cnn_stats_t_cdf(high, df) < p && high < 1e15)
        high *= 2;
    for (int i = 0; i < 200 && high - low > 1e-15 * high; i++) {
        double middle = 0.5 * (low + high);
        if (cnn_stats_t_cdf(middle, df) < p)
            low = middle;
        else
            high = middle;
    }
    return 0.5 * (low + high);
}

struct cnn_paired_interval cnn_stats_paired_interval(const double *a,
                                                     const double *b, int n,
                                                     double confidence)
{
    struct cnn_paired_interval r = {n, NAN, NAN, NAN, NAN, 0, 0};
    if (n < 1)
        return r;
    double *differences = malloc((size_t)n * sizeof *differences);
    if (!differences)
        return r;
    for (int i = 0; i < n; i++)
        differences[i] = b[i] - a[i];
    r.mean = cnn_stats_mean(differences, n);
    r.std = cnn_stats_sample_std(differences, n);
    free(differences);
    if (n < 2 || !(confidence > 0 && confidence < 1))
        return r;
    double t = cnn_stats_t_quantile(0.5 + confidence / 2, n - 1);
    double half = t * r.std / sqrt(n);
    r.low = r.mean - half;
    r.high = r.mean + half;
    r.has_interval = 1;
    r.excludes_zero = r.low > 0 || r.high < 0;
    return r;
}

double cnn_stats_mcnemar_exact(long only_a, long only_b)
{
    if (only_a < 0 || only_b < 0)
        return NAN;
    long n = only_a + only_b;
    if (n == 0)
        return 1;
    long smaller = only_a < only_b ? only_a : only_b;
    /* P(X <= smaller) for X ~ B(n, 1/2), term by term in logs. */
    double sum = 0;
    for (long k = 0; k <= smaller; k++)
        sum += exp(lgamma(n + 1.0) - lgamma(k + 1.0) - lgamma(n - k + 1.0) -
                   n * M_LN2);
    double p = 2 * sum;
    return p < 1 ? p : 1;
}
