package dev.rollguard.secrets;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Key rotation: a new current key in the ring's file, then everything stored sealed with an older key is sealed again
 * with it (each store that keeps envelopes registers how), then the database is scrubbed of the old pages.
 */
public final class SecretsService {
    /** A store that keeps envelopes: seals again with the current key what an older key sealed; returns how many. */
    public interface Resealer {
        String name();

        int resealWithCurrentKey();

        /** Whether it still keeps an envelope of an older key after resealing (e.g. inside a file's text). */
        boolean keepsOlderEnvelopes();
    }

    public record Rotation(String keyId, List<String> keys, Map<String, Integer> resealed) {}

    private final AesGcmSealer sealer;
    private final SecretsStore store;
    private final Clock clock;
    private final Runnable scrub;
    private final List<Resealer> resealers = new CopyOnWriteArrayList<>();

    public SecretsService(AesGcmSealer sealer, SecretsStore store, Clock clock, Runnable scrub) {
        this.sealer = sealer;
        this.store = store;
        this.clock = clock;
        this.scrub = scrub;
    }

    public Sealer sealer() { return sealer; }

    public void resealWith(Resealer resealer) {
        resealers.add(resealer);
    }

    /**
     * Seals again whatever an older key of the ring sealed (at start-up: the operator may have added a key), then
     * retires the older keys: every store that keeps envelopes registers a {@link Resealer}, so none is left under them.
     */
    public Map<String, Integer> resealOlder() {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (Resealer r : resealers) counts.put(r.name(), r.resealWithCurrentKey());
        if (counts.values().stream().anyMatch(n -> n > 0)) scrub.run();
        // a secret value sealed into a values file is text the server cannot rewrite (it is part of a version): its key stays required
        if (resealers.stream().noneMatch(Resealer::keepsOlderEnvelopes)) store.retireAllBut(sealer.currentKeyId(), clock.instant());
        return counts;
    }

    public synchronized Rotation rotate() {
        KeyRing ring = sealer.rotate();
        SecretsKeys.record(sealer, store, clock);
        return new Rotation(ring.current().id(), ring.ids(), resealOlder());
    }

    /** The ring as people may see it: key ids and where it lives ({@code source}: a file, or the environment), never a key. */
    public record RingView(String currentKey, List<String> keys, String source) {}

    public RingView describe() {
        KeyRing ring = sealer.ring();
        return new RingView(ring.current().id(), ring.ids(),
                ring.file() == null ? "environment " + KeyRing.ENV : ring.file().toAbsolutePath().toString());
    }
}
