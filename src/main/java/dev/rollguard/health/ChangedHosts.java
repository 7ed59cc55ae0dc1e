package dev.rollguard.health;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * By environment, the hosts whose state changed since one reader last took them, each with what its change left (the
 * host's last report; or only that it changed): how the orchestrator's view of a rollout learns which hosts to look at
 * again, instead of all of them every tick. A writer marks a host after its change is visible (committed, or stored in
 * memory); the reader takes the marks, then reads, so a change is either taken and read, or still marked for the next
 * take. Only the environments the reader watches are marked ({@link #watch}): a server whose marks nobody takes (a
 * replica on PostgreSQL, an environment without a running rollout) keeps none. At most one mark per host.
 */
public final class ChangedHosts<V> {
    /** An environment of a service. */
    public record Env(String service, String env) {}

    private final Map<Env, Map<String, V>> marked = new ConcurrentHashMap<>();
    private volatile Set<Env> watched = Set.of();

    /**
     * From now on marks only these environments, and forgets the marks of the others. A mark racing this call may stay in
     * an environment no longer watched until the next call: its reader reads that environment whole when it watches it again.
     */
    public void watch(Set<Env> envs) {
        watched = Set.copyOf(envs);
        marked.keySet().retainAll(watched);
    }

    public void mark(String service, String env, String host, V value) {
        Env e = new Env(service, env);
        if (!watched.contains(e)) return;
        marked.computeIfAbsent(e, k -> new ConcurrentHashMap<>()).put(host, value);
    }

    /** The hosts of an environment marked since the last take, with their marks, forgotten as they are taken. */
    public Map<String, V> take(String service, String env) {
        Map<String, V> hosts = marked.get(new Env(service, env));
        if (hosts == null || hosts.isEmpty()) return Map.of();
        Map<String, V> taken = new HashMap<>();
        for (Map.Entry<String, V> e : hosts.entrySet()) {
            // only the mark taken: a newer one put meanwhile stays for the next take
            if (hosts.remove(e.getKey(), e.getValue())) taken.put(e.getKey(), e.getValue());
        }
        return taken;
    }
}
