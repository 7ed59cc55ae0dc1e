package dev.rollguard.rollout;

import org.apache.commons.math3.distribution.NormalDistribution;

/**
 * The standard normal's upper tail, exact where a user's alpha lives. Commons Math's quantile works through {@code 1 - p}
 * or {@code 2p - 1}, which round to 1 below p = 1e-16: at {@code alpha: 1e-20} it answered +Infinity, the 5xx ceiling's
 * Wilson bound became NaN and a canary failing every request passed its bake. The tail itself, {@code Φ(-z)}, is computed
 * from erfc and stays exact far out, so the quantile is found on it.
 */
final class NormalTail {
    private static final NormalDistribution NORMAL = new NormalDistribution();
    /** Past any boundary: Φ(-40) is below the smallest double. */
    static final double FAR = 40;

    private NormalTail() {}

    /** P(Z > z). */
    static double upper(double z) {
        return NORMAL.cumulativeProbability(-z);
    }

    /** The z with P(Z > z) = p, for p in (0, 1); {@link #FAR} for p at or below the smallest tail a double holds. */
    static double quantile(double p) {
        if (!(p > 0)) return FAR;
        if (p >= 1) return Double.NEGATIVE_INFINITY;
        // Newton's method on ln P(Z > z) = ln p, from Commons Math's answer where it holds or else the first terms of the
        // tail's asymptotic series: a few steps reach double precision (the log keeps the step well-scaled where the tail
        // spans hundreds of decades)
        double l = -Math.log(p);
        double z = p > 1e-10 ? -NORMAL.inverseCumulativeProbability(p) : Math.sqrt(2 * l - Math.log(4 * Math.PI * l));
        for (int i = 0; i < 20; i++) {
            double tail = upper(z);
            if (tail <= 0) return FAR;
            double step = (Math.log(tail) + l) * tail / NORMAL.density(z);
            z += step;
            if (Math.abs(step) < 1e-12 * z) break;
        }
        return Math.min(FAR, z);
    }
}
