package dev.rollguard.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.rollguard.Json;
import dev.rollguard.protocol.AgentProtocol;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
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

    /**
     * The channel's frame ({@link AgentProtocol.ChannelMessage} with {@code desired}): for an answer the whole fleet shares,
     * {@code prepared}, encoded once (and no {@code frame} text kept beside it); for a host's own, {@code frame}.
     */
    private record Written(AgentProtocol.Desired answer, byte[] bytes, String text, String frame, PreparedText prepared) {
        /** The same answer: the same version with the very same shared bundle and preflight objects. */
        boolean writes(AgentProtocol.Desired d) {
            return answer.bundle() == d.bundle() && answer.preflight() == d.preflight()
                    && Objects.equals(answer.desiredVersion(), d.desiredVersion());
        }
    }

    private final Map<Key, Written> written = new ConcurrentHashMap<>();

    /** The answer as a long-poll's body. */
    byte[] bytes(AgentProtocol.Desired d) {
        return written(d).bytes();
    }

    /** The answer as a stream's event (one line of JSON: the writer escapes line breaks inside strings). */
    String text(AgentProtocol.Desired d) {
        return written(d).text();
    }

    /**
     * Sends the answer on a channel without waiting for the write: an answer the fleet shares as the frame encoded once
     * (sendString would encode it to UTF-8 and copy it to a direct buffer again for every host: about half of the
     * floor's cost per agent in {@code bench push --floor}), a host's own answer as text.
     */
    void send(AgentChannel.Connection c, AgentProtocol.Desired d) {
        Written w = written(d);
        if (w.prepared() != null) c.send(w.prepared());
        else c.send(w.frame());
    }

    private Written written(AgentProtocol.Desired d) {
        AgentProtocol.Bundle b = d.bundle();
        if (b == null || b.host() != null || b.env() != null || !d.carriesBundle()) return write(d, false);
        Key key = new Key(b.service(), b.version());
        Written w = written.get(key);
        if (w != null && w.writes(d)) return w;
        w = write(d, true);
        if (written.size() >= MAX_ENTRIES) written.clear();
        written.put(key, w);
        return w;
    }

    private static Written write(AgentProtocol.Desired d, boolean shared) {
        try {
            byte[] bytes = Json.MAPPER.writeValueAsBytes(d);
            String text = new String(bytes, StandardCharsets.UTF_8);
            // the same bytes the long-poll answers, inside the channel's envelope (no second serialization)
            String frame = "{\"desired\":" + text + "}";
            return shared ? new Written(d, bytes, text, null, new PreparedText(frame)) : new Written(d, bytes, text, frame, null);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
