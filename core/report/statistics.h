/* cnnlab — the statistics of a results table with repeated seeds: mean
 * and sample standard deviation, Student's t quantiles, the paired
 * confidence interval of a difference, and McNemar's exact test for two
 * models' predictions on the same images. docs/statistics.md says what
 * each means and when to use it.
 *
 * The t quantiles agree with 40-digit values to 1e-12, the rest to
 * double rounding (t/test-statistics.c, against mpmath and scipy). None
 * makes up a number: where the data cannot give one (fewer than two
 * values) the result is NAN or says so.
 *
 * The tables of experiments with seeds show them (table_summary.c,
 * table_compare.c). */
#ifndef CNNLAB_STATISTICS_H
#define CNNLAB_STATISTICS_H

/* The mean of n values; NAN for n < 1. */
double cnn_stats_mean(const double *values, int n);
/* The sample standard deviation (n - 1 in the denominator); NAN for
 * n < 2: one value has no spread to estimate. */
double cnn_stats_sample_std(const double *values, int n);
/* Student's t distribution with df degrees of freedom (df >= 1): its
 * cumulative distribution at t, and its p-quantile (0 < p < 1). */
double cnn_stats_t_cdf(double t, int df);
double cnn_stats_t_quantile(double p, int df);

/* The paired difference of n matched values (per seed, b - a): its mean,
 * its sample std, and the two-sided confidence interval of its mean,
 * mean ± t(1 - alpha/2, n - 1) · std / sqrt(n). With n < 2 there is no
 * interval: low and high are NAN and has_interval is 0. */
struct cnn_paired_interval {
    int n;
    double mean, std;
    double low, high;
    int has_interval;
    int excludes_zero;   /* the interval lies wholly above or below 0 */
};
struct cnn_paired_interval cnn_stats_paired_interval(const double *a,
                                                     const double *b, int n,
                                                     double confidence);

/* McNemar's exact test: of the images the two models classify
 * differently, `only_a` only the first gets right and `only_b` only the
 * second. Under "no difference" each discordant image is a fair coin, so
 * the two-sided p-value is the binomial one, min(1, 2 P(X <= min)) with
 * X ~ B(only_a + only_b, 1/2); 1 when there is no discordant image. */
double cnn_stats_mcnemar_exact(long only_a, long only_b);

#endif
