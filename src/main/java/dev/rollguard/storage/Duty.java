package dev.rollguard.storage;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * "Is this server the one doing X now?": holds a lease, renewed at most once a second, valid for 3 s. A server
 * that stops renewing (crashed, partitioned, paused) loses it within 3 s and another takes over.
 */
public final class Duty implements BooleanSupplier {
    static final Duration TTL = Duration.ofSeconds(3);
    private static final long RENEW_NANOS = Duration.ofSeconds(1).toNanos();

    private final Leases leases;
    private final String name;
    private volatile boolean held;
    private volatile long renewedAt;

    public Duty(Leases leases, String name) {
        this.leases = leases;
        this.name = name;
    }

    @Override
    public boolean getAsBoolean() {
        long now = System.nanoTime();
        if (held && now - renewedAt < RENEW_NANOS) return true;
        try {
            held = leases.hold(name, TTL);
        } catch (RuntimeException e) {
            // storage unreachable: whoever cannot renew must stop, or two servers would act at once
            held = false;
        }
        if (held) renewedAt = now;
        return held;
    }

    public String name() { return name; }

    public void release() {
        if (held) leases.release(name);
        held = false;
    }
}
