package dev.rollguard.rollout;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.DoubleUnaryOperator;

/**
 * Group-sequential boundaries for a test looked at once a second: how large the standardised evidence z must be at
 * each look so that, over all looks, a healthy canary is failed with probability at most alpha.
 *
 * <p>The false-alarm budget is spent by an alpha-spending function (Lan &amp; DeMets, "Discrete sequential boundaries for
 * clinical trials", Biometrika 70(3), 1983): after a fraction tau of the planned information, at most alpha(tau) may
 * have been spent. The shape is their O'Brien-Fleming-like function alpha(tau) = 2 - 2 Phi(z_{1-a/2} / sqrt(tau))
 * (O'Brien &amp; Fleming, Biometrics 35, 1979), at level {@link #INTERIM_SHARE} of the bake's budget over the looks
 * before its last, and all the rest at the last look: almost nothing early, most at the end of the bake, where a single
 * end-of-bake test would spend all of it. Early stops for large effects are not this test's job: the ceiling and the
 * fail-fast guard take them at once. The planned information is a bake ({@code horizon} looks); a rollout that goes
 * on past it keeps judging, so the budget is split over bakes: {@code firstShare} in the first, and half of what is
 * left in each next one (the sum never exceeds alpha). Pocock's boundary (Pocock, Biometrika 64(2), 1977; as a spending
 * function, Lan-DeMets' alpha log(1 + (e - 1) tau)) spends evenly instead: it stops mid-sized effects sooner but holds
 * the last look of the bake to a higher boundary, and near the information limit (5xx x1.5 at 100 req/s), where only
 * the bake's full count can tell, that last look is where detection is decided.
 *
 * <p>The boundaries are the exact ones for a Brownian motion observed at the looks, computed by the recursive
 * numerical integration of Armitage, McPherson &amp; Rowe (J. R. Stat. Soc. A 132, 1969; Jennison &amp; Turnbull,
 * "Group Sequential Methods with Applications to Clinical Trials", 2000, ch. 19): at each look the density of the
 * not-yet-stopped statistic is carried forward on a grid and the boundary is set so that the probability of first
 * crossing there is the budget's increment. The judge's statistic is more correlated between looks than a Brownian
 * motion (its expected rate is one estimate shared by every look), which makes these boundaries conservative.
 */
final class AlphaSpending {
    /**
     * The share of a bake's budget its looks before the last may spend (O'Brien-Fleming-like at that level); the rest is
     * the last look's. With the whole share spent O'Brien-Fleming-like, the 29 looks before the last spent 86 % of it,
     * and the last look, where a regression at the information limit (5xx +0.5 pp) is decided, was held to z 2.76 where
     * one look at the same budget needs 2.61: about 6 points of detection there. A quarter keeps the early looks for
     * large effects (their boundaries rise by about 0.5) and brings the last look to 2.62. Haybittle (Br. J. Radiol. 44,
     * 1971) and Peto et al. (Br. J. Cancer 34, 1976) proposed the same trade: strict interim looks, the final analysis at
     * almost its nominal level.
     */
    static final double INTERIM_SHARE = 0.25;
    /** After this many bakes the boundary stays at its last value (the budget left is under 2^-19 of alpha). */
    static final int MAX_BAKES = 20;
    private static final double STEP = 0.1;
    private static final double KERNEL_SDS = 8;
    private static final Map<Key, AlphaSpending> CACHE = new ConcurrentHashMap<>();

    private record Key(double alpha, int horizon, double firstShare) {}

    private final double alpha;
    private final int horizon;
    private final double firstShare;
    /** Boundaries computed so far (z scale), index look - 1; the sub-density of the statistic not yet stopped. */
    private double[] boundaries = new double[0];
    private double lo;
    private double[] density;

    private AlphaSpending(double alpha, int horizon, double firstShare) {
        this.alpha = alpha;
        this.horizon = horizon;
        this.firstShare = firstShare;
    }

    static AlphaSpending of(double alpha, int horizon, double firstShare) {
        if (alpha <= 0 || alpha >= 1 || horizon < 1 || firstShare <= 0 || firstShare > 1) {
            throw new IllegalArgumentException("alpha in (0, 1), horizon >= 1, firstShare in (0, 1]");
        }
        return CACHE.computeIfAbsent(new Key(alpha, horizon, firstShare), k -> new AlphaSpending(alpha, horizon, firstShare));
    }

    /** The budget spent by the end of look {@code look} (1-based): the spending function at that look. */
    double spent(int look) {
        if (look <= 0) return 0;
        int bake = (look - 1) / horizon;
        if (bake >= MAX_BAKES) return spent(MAX_BAKES * horizon);
        double tau = (double) (look - bake * horizon) / horizon;
        double before = bake == 0 ? 0 : firstShare + (1 - firstShare) * (1 - Math.pow(0.5, bake - 1));
        double share = bake == 0 ? firstShare : (1 - firstShare) * Math.pow(0.5, bake);
        double within = look - bake * horizon == horizon ? 1 : INTERIM_SHARE * obrienFleming(tau, alpha * share * INTERIM_SHARE);
        return alpha * (before + share * within);
    }

    /** Lan-DeMets' O'Brien-Fleming-like spending at information fraction tau, as a share of its level a (1 at tau = 1). */
    static double obrienFleming(double tau, double a) {
        double z = NormalTail.quantile(a / 2);
        return Math.min(1, 2 * NormalTail.upper(z / Math.sqrt(tau)) / a);
    }

    /** The z the evidence must reach at look {@code look} (1-based; the seconds the canary has been judged). */
    synchronized double boundary(int look) {
        int k = Math.max(1, Math.min(look, MAX_BAKES * horizon));
        while (boundaries.length < k) extend();
        return boundaries[k - 1];
    }

    /** One more look: the boundary that spends its increment, then the density of the statistic that stayed below it. */
    private void extend() {
        int k = boundaries.length + 1;
        double increment = Math.max(0, spent(k) - spent(k - 1));
        double b;
        double[] next;
        double nextLo;
        if (k == 1) {
            b = increment <= 0 ? Double.POSITIVE_INFINITY : NormalTail.quantile(increment);
            nextLo = -KERNEL_SDS;
            next = grid(nextLo, top(b, 1), s -> pdf(s));
        } else {
            // the statistic on the sum scale S_k = z_k sqrt(k): S_k = S_{k-1} + N(0, 1)
            b = increment <= 0 ? Double.POSITIVE_INFINITY : crossing(increment);
            double sb = b * Math.sqrt(k);
            nextLo = lo - KERNEL_SDS;
            double[] from = density;
            double fromLo = lo;
            next = grid(nextLo, top(sb, k), s -> {
                double sum = 0;
                int i0 = Math.max(0, (int) Math.floor((s - KERNEL_SDS - fromLo) / STEP));
                int i1 = Math.min(from.length - 1, (int) Math.ceil((s + KERNEL_SDS - fromLo) / STEP));
                for (int i = i0; i <= i1; i++) sum += weight(i, from.length) * from[i] * pdf(s - (fromLo + i * STEP));
                return sum * STEP;
            });
        }
        // the far lower tail of what stayed can never cross again in any practical number of looks: trimmed
        int first = 0;
        double floor = -KERNEL_SDS * Math.sqrt(k) - 3 * KERNEL_SDS;
        while (first < next.length - 1 && nextLo + first * STEP < floor) first++;
        lo = nextLo + first * STEP;
        density = Arrays.copyOfRange(next, first, next.length);
        boundaries = Arrays.copyOf(boundaries, k);
        boundaries[k - 1] = b;
    }

    /** The z boundary at the next look (k = boundaries.length + 1) whose first-crossing probability is {@code increment}. */
    private double crossing(double increment) {
        int k = boundaries.length + 1;
        double low = -10;
        double high = 40;
        for (int it = 0; it < 80; it++) {
            double mid = (low + high) / 2;
            if (crossProbability(mid * Math.sqrt(k)) > increment) low = mid; else high = mid;
        }
        return high;
    }

    private double crossProbability(double sb) {
        double p = 0;
        for (int i = 0; i < density.length; i++) {
            p += weight(i, density.length) * density[i] * NormalTail.upper(sb - (lo + i * STEP));
        }
        return p * STEP;
    }

    /** Trapezoid weights. */
    private static double weight(int i, int n) {
        return i == 0 || i == n - 1 ? 0.5 : 1;
    }

    /** The grid's upper end at look k: the boundary, or (nothing spent there) far above anything reachable. */
    private static double top(double sb, int k) {
        return Double.isInfinite(sb) ? KERNEL_SDS * (Math.sqrt(k) + 1) : sb;
    }

    private static double[] grid(double from, double top, DoubleUnaryOperator f) {
        int n = Math.max(2, (int) Math.ceil((top - from) / STEP) + 1);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = f.applyAsDouble(Math.min(top, from + i * STEP));
        return v;
    }

    private static double pdf(double x) {
        return Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
    }
}
