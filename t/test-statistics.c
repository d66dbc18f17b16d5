/* The statistics of repeated runs (core/report/statistics.c) against known
 * answers, computed on 2026-12-07 with Debian 12's python3-scipy 1.10.1 and
 * python3-mpmath:
 *   t quantiles and CDF values: mpmath at 40 digits, the root of
 *     1 - betainc(df/2, 1/2, 0, df/(df + t^2), regularized) / 2 = q
 *     (scipy.stats.t.ppf is off by up to 4e-10 relative here: 2.57058183661
 *     for df 5, where the root is 2.57058183564; its cdf agrees with
 *     mpmath's to 1e-16);
 *   numpy.std(x, ddof=1);
 *   scipy.stats.ttest_rel(b, a).confidence_interval(0.95);
 *   scipy.stats.binomtest(min(b, c), b + c, 0.5).pvalue (McNemar's exact
 *   test is this binomial test on the discordant pairs; the values are
 *   exact binary fractions). */
#include <math.h>
#include <stdio.h>

#include "report/statistics.h"
#include "tap.h"

static int close_to(double got, double want, double tolerance)
{
    return fabs(got - want) <= tolerance * fmax(1, fabs(want));
}

int main(void)
{
    /* t.ppf(0.975, df) for df = 1..30: the two-sided 95 % quantiles. */
    static const double t975[30] = {
        12.706204736174705, 4.3026527297494639, 3.1824463052837096,
        2.7764451051977944, 2.5705818356363155, 2.44691185114497,
        2.3646242515927853, 2.3060041352041667, 2.2621571627982055,
        2.2281388519862747, 2.2009851600916399, 2.1788128296672289,
        2.1603686564627925, 2.1447866879178038, 2.1314495455597757,
        2.1199052992212547, 2.1098155778333171, 2.1009220402410385,
        2.0930240544083098, 2.0859634472658648, 2.0796138447276804,
        2.0738730679040262, 2.0686576104190487, 2.0638985616280258,
        2.0595385527532977, 2.0555294386428732, 2.0518305164802856,
        2.0484071417952452, 2.0452296421327043, 2.0422724563012383,
    };
    int all = 1;
    for (int df = 1; df <= 30; df++) {
        double got = cnn_stats_t_quantile(0.975, df);
        if (!close_to(got, t975[df - 1], 1e-12)) {
            all = 0;
            diag("t(0.975, %d) = %.17g, expected %.17g", df, got,
                 t975[df - 1]);
        }
    }
    ok(all, "t quantiles 0.975 for df 1..30 within 1e-12 of the 40-digit ones");
    ok(close_to(cnn_stats_t_quantile(0.975, 1000), 1.9623390808264085, 1e-12),
       "t(0.975, 1000) = 1.96234 (large df)");
    ok(close_to(cnn_stats_t_quantile(0.95, 5), 2.0150483733330242, 1e-12),
       "t(0.95, 5): another level");
    ok(close_to(cnn_stats_t_quantile(0.005, 3), -5.8409093097333573, 1e-12),
       "t(0.005, 3): the lower tail is negative");
    ok(close_to(cnn_stats_t_cdf(2.0, 7), 0.95719033571851196, 1e-13),
       "t cdf(2.0, 7)");
    ok(close_to(cnn_stats_t_cdf(-1.5, 12), 0.079728751756603503, 1e-13),
       "t cdf(-1.5, 12)");
    ok(isnan(cnn_stats_t_quantile(0.975, 0)) &&
           isnan(cnn_stats_t_quantile(1.0, 4)),
       "no quantile for df 0 or p = 1");

    const double four[] = {1, 2, 3, 4};
    const double accuracies[] = {56.4, 57.1, 55.9};
    const double tied[] = {57, 57, 57};
    ok(close_to(cnn_stats_sample_std(four, 4), 1.2909944487358056, 1e-14),
       "sample std of 1, 2, 3, 4 (n - 1 in the denominator)");
    ok(close_to(cnn_stats_sample_std(accuracies, 3), 0.6027713773341723,
                1e-12),
       "sample std of three accuracies");
    ok(cnn_stats_sample_std(tied, 3) == 0, "three equal values: std 0");
    ok(isnan(cnn_stats_sample_std(accuracies, 1)) &&
           cnn_stats_mean(accuracies, 1) == 56.4,
       "one value: a mean, no std (never a made-up 0)");

    /* Paired: three seeds of a reference a and a variant b. */
    const double a[] = {56.4, 55.8, 57.0}, b[] = {57.1, 56.9, 57.3};
    struct cnn_paired_interval p = cnn_stats_paired_interval(a, b, 3, 0.95);
    ok(p.has_interval && close_to(p.mean, 0.7, 1e-12) &&
           close_to(p.std, 0.4, 1e-12),
       "paired difference: mean 0.7, std 0.4");
    ok(close_to(p.low, -0.2936550847375058, 1e-10) &&
           close_to(p.high, 1.693655084737507, 1e-10),
       "its 95 %% interval is scipy's ttest_rel one, [-0.294, 1.694]");
    ok(!p.excludes_zero, "which contains 0: no difference shown");
    const double c[] = {57.9, 57.9, 57.9}, d[] = {58.9, 58.9, 58.9};
    struct cnn_paired_interval same = cnn_stats_paired_interval(c, d, 3, 0.95);
    ok(same.has_interval && same.std == 0 && same.low == 1 &&
           same.high == 1 && same.excludes_zero,
       "zero variance: the interval is the point 1, which excludes 0");
    struct cnn_paired_interval one = cnn_stats_paired_interval(a, b, 1, 0.95);
    ok(!one.has_interval && isnan(one.low) && isnan(one.high) &&
           close_to(one.mean, 0.7, 1e-12),
       "one seed: a difference, but no interval");

    ok(close_to(cnn_stats_mcnemar_exact(10, 2), 0.03857421875, 1e-13),
       "McNemar exact, 10 against 2 discordant: p = 0.0386");
    ok(close_to(cnn_stats_mcnemar_exact(2, 10), 0.03857421875, 1e-13),
       "symmetric");
    ok(cnn_stats_mcnemar_exact(5, 5) == 1, "a tie: p = 1");
    ok(close_to(cnn_stats_mcnemar_exact(0, 6), 0.03125, 1e-13),
       "0 against 6: p = 1/32");
    ok(close_to(cnn_stats_mcnemar_exact(120, 90), 0.0451140878648407, 1e-12),
       "120 against 90: p = 0.0451");
    ok(cnn_stats_mcnemar_exact(1, 0) == 1 && cnn_stats_mcnemar_exact(0, 0) == 1,
       "one discordant image, or none: p = 1");

    /* docs/statistics.md's worked example, values from scipy 1.10
     * (numpy std ddof=1, stats.t.ppf, binomtest): 4-conv against 5-conv
     * over three seeds, and one seed's discordant test images. */
    const double four_conv[] = {56.4, 55.1, 57.0};
    const double five_conv[] = {57.1, 55.9, 56.2};
    ok(close_to(cnn_stats_mean(four_conv, 3), 56.166666666666664, 1e-12) &&
           close_to(cnn_stats_sample_std(four_conv, 3), 0.9712534856222301,
                    1e-12) &&
           close_to(cnn_stats_sample_std(five_conv, 3), 0.6244997998398407,
                    1e-12),
       "worked example: 56.17 ± 0.97 and 56.40 ± 0.62");
    struct cnn_paired_interval worked =
        cnn_stats_paired_interval(four_conv, five_conv, 3, 0.95);
    ok(close_to(worked.mean, 0.23333333333333428, 1e-12) &&
           close_to(worked.low, -1.9931710878827524, 1e-10) &&
           close_to(worked.high, 2.459837754549421, 1e-10) &&
           !worked.excludes_zero,
       "worked example: +0.23 points, 95 %% interval [-1.99, 2.46]");
    ok(close_to(cnn_stats_mcnemar_exact(48, 71), 0.04326826257460872, 1e-12),
       "worked example: McNemar 48 against 71, p = 0.043");
    return done_testing();
}
