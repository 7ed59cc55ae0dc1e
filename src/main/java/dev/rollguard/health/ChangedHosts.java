package dev.rollguard.health;

import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * By environment, the hosts whose state changed since one reader last took them: how the orchestrator's view of a
 * rollout learns which hosts to look at again, instead of all of them every tick. A writer marks a host after its change
 * is visible (committed, or stored in memory); the reader takes the marks, then reads, so a change is either taken and
 * read, or still marked for the next take. At most one mark per host: bounded by the fleet, however long nobody reads.
 */
public final class ChangedHosts {
    private final Map<String, Set<String>> marked = new ConcurrentHashMap<>();

    private static String key(String service, String env) {
        return service + '\0' + env;
    }

    public void mark(String service, String env, String host) {
        marked.computeIfAbsent(key(service, env), k -> ConcurrentHashMap.newKeySet()).add(host);
    }

    /** The hosts of an environment marked since the last take, forgotten as they are taken. */
    public Set<String> take(String service, String env) {
        Set<String> hosts = marked.get(key(service, env));
        if (hosts == null || hosts.isEmpty()) return Set.of();
        Set<String> taken = new HashSet<>();
        for (Iterator<String> it = hosts.iterator(); it.hasNext(); ) {
            taken.add(it.next());
            it.remove();
        }
        return taken;
    }
}
