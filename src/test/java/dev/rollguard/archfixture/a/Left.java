package dev.rollguard.archfixture.a;

import dev.rollguard.archfixture.b.Right;

/** Half of a deliberate package cycle: the architecture test must see it. */
public final class Left {
    Right right;
}
