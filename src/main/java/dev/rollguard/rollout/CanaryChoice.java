package dev.rollguard.rollout;

import dev.rollguard.config.RolloutPolicy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The order in which a rollout takes an environment's hosts, so its first waves (the canaries) are hosts the spec
 * chose: those with the spec's label, then long-lived ones, then the rest, each group shuffled by a seed. The seed is
 * recorded with the rollout's start, so the same hosts and seed give the same order again. Pure: the caller loads the
 * hosts and draws the seed.
 */
public final class CanaryChoice {
    private CanaryChoice() {}

    public static List<String> order(List<HostInfo> hosts, RolloutPolicy.Canary canary, long seed, Instant now) {
        // a stable start whatever the store returned, then the seed decides
        List<HostInfo> sorted = new ArrayList<>(hosts);
        sorted.sort((a, b) -> a.host().compareTo(b.host()));
        List<String> labelled = new ArrayList<>();
        List<String> longLived = new ArrayList<>();
        List<String> rest = new ArrayList<>();
        // registered at or before this instant: long-lived
        Instant bornBy = now.minus(Duration.ofSeconds(canary.minAgeSeconds()));
        for (HostInfo h : sorted) {
            if (canary.label() != null && carries(h.labels(), canary.label())) labelled.add(h.host());
            else if (h.registeredAt() != null && !h.registeredAt().isAfter(bornBy)) longLived.add(h.host());
            else rest.add(h.host());
        }
        Random random = new Random(seed);
        Collections.shuffle(labelled, random);
        Collections.shuffle(longLived, random);
        Collections.shuffle(rest, random);
        List<String> out = new ArrayList<>(labelled);
        out.addAll(longLived);
        out.addAll(rest);
        return out;
    }

    /** Whether a host's labels ({@code k=v,k2=v2}) carry {@code label} ({@code k=v}, or {@code k} for any value). */
    static boolean carries(String labels, String label) {
        if (labels == null || labels.isBlank()) return false;
        Map<String, String> parsed = new LinkedHashMap<>();
        for (String item : labels.split(",")) {
            int eq = item.indexOf('=');
            if (eq < 0) parsed.put(item.strip(), "");
            else parsed.put(item.substring(0, eq).strip(), item.substring(eq + 1).strip());
        }
        int eq = label.indexOf('=');
        if (eq < 0) return parsed.containsKey(label);
        return label.substring(eq + 1).equals(parsed.get(label.substring(0, eq)));
    }
}
