package dev.rollguard.archfixture;

import org.jdbi.v3.core.Handle;

import java.util.List;
import java.util.Map;

/** A service that writes SQL itself and hands out loose maps: what the architecture test must report, each. */
public final class FixtureService {
    public int count(Handle h) {
        return h.createQuery("SELECT 1").mapTo(Integer.class).one();
    }

    public List<Map<String, Object>> rows() {
        return List.of(Map.of("id", 1));
    }

    /** A typed map is no loose one: the rule must not report it. */
    public Map<String, Integer> counts() {
        return Map.of("id", 1);
    }
}
