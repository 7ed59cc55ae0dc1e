package dev.rollguard.archfixture.b;

import dev.rollguard.archfixture.a.Left;

/** The other half of the deliberate package cycle. */
public final class Right {
    Left left;
}
