package dev.rollguard.rollout;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Wakes agents' long-polls when their desired version changes. In-process; with several replicas the
 * same wake-up travels through the database's notifications.
 */
public final class HostSignals {
    private final Map<String, List<CompletableFuture<Void>>> waiting = new ConcurrentHashMap<>();

    static String key(String service, String env, String host) {
        return service + '\0' + env + '\0' + host;
    }

    public CompletableFuture<Void> await(String service, String env, String host) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        List<CompletableFuture<Void>> list = waiting.computeIfAbsent(key(service, env, host), k -> new CopyOnWriteArrayList<>());
        list.add(f);
        f.whenComplete((v, e) -> list.remove(f));
        return f;
    }

    public void wake(String service, String env, List<String> hosts) {
        for (String h : hosts) {
            List<CompletableFuture<Void>> list = waiting.remove(key(service, env, h));
            if (list != null) list.forEach(f -> f.complete(null));
        }
    }

    public int waiting() {
        return waiting.values().stream().mapToInt(List::size).sum();
    }
}
