package dev.rollguard.auth;

/**
 * Failed sign-ins, counted per client address and credential: a proxy's one address carries many people, and one of
 * them guessing (or a stale token retried) must not lock the others out. A credential is a token's hash or a sign-in's
 * user name, never a token. Per address alone the budget is ten times looser, so guessing many credentials from one
 * address is still bounded. Bursts of 200 failures (a tool misconfigured for a while), 20 a second after that.
 */
public final class SignInGuard {
    private final RateLimiter guesses = new RateLimiter(20, 200);
    private final RateLimiter strangers = new RateLimiter(200, 2000);

    /** 0 if {@code address} may try {@code credential} now, else how many milliseconds until it may. */
    public long wait(String address, String credential, long nowNanos) {
        return Math.max(guesses.peek(address + "|" + credential, nowNanos), strangers.peek(address, nowNanos));
    }

    /** Counts one failed sign-in of {@code credential} from {@code address}. */
    public void failed(String address, String credential, long nowNanos) {
        guesses.acquire(address + "|" + credential, nowNanos);
        strangers.acquire(address, nowNanos);
    }
}
