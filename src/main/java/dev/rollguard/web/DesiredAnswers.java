package dev.rollguard.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.rollguard.Json;
import dev.rollguard.protocol.AgentProtocol;

import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The long-poll's answer serialized once per release instead of once per host: a version whose tree renders the same
 * everywhere is one bundle object for the whole fleet (cached by {@code Bundles}), and the spec's preflight one object
 * per stored spec, so every host woken by the release gets the same bytes. Answers with a bundle rendered for one host
 * (values, opened secrets) are written anew every time and never kept.
 */
final class DesiredAnswers {
    /** Releases of different services or environments at once each keep their entry; more than this many are forgotten. */
    private static final int MAX_ENTRIES = 64;

    private record Key(String service, int version) {}

    private record Written(AgentProtocol.Desired answer, byte[] bytes) {
        /** The same answer: the same version with the very same shared bundle and preflight objects. */
        boolean writes(AgentProtocol.Desired d) {
            return answer.bundle() == d.bundle() && answer.preflight() == d.preflight()
                    && java.util.Objects.equals(answer.desiredVersion(), d.desiredVersion());
        }
    }

    private final Map<Key, Written> written = new ConcurrentHashMap<>();

    byte[] bytes(AgentProtocol.Desired d) {
        AgentProtocol.Bundle b = d.bundle();
        if (b == null || b.host() != null || b.env() != null || !d.carriesBundle()) return write(d);
        Key key = new Key(b.service(), b.version());
        Written w = written.get(key);
        if (w != null && w.writes(d)) return w.bytes();
        byte[] bytes = write(d);
        if (written.size() >= MAX_ENTRIES) written.clear();
        written.put(key, new Written(d, bytes));
        return bytes;
    }

    private static byte[] write(AgentProtocol.Desired d) {
        try {
            return Json.MAPPER.writeValueAsBytes(d);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
