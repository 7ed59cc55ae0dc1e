package dev.rollguard.auth;

import java.util.Map;
import java.util.Set;

/**
 * Who is calling: a person or CI (roles per service, "*" for all) or a host's agent (enrolled for one service and
 * environment, and one host unless {@code agentHost} is null).
 */
public record Principal(String name, Kind kind, Map<String, Set<Role>> roles, String agentService, String agentEnv, String agentHost,
                        String tokenId, Integer agentMaxHosts) {
    public enum Kind { USER, AGENT }

    /** An enrolment token without a host registers this many hosts unless its creator said otherwise. */
    public static final int DEFAULT_ENROLMENT_HOSTS = 10;

    public Principal(String name, Kind kind, Map<String, Set<Role>> roles, String agentService, String agentEnv, String agentHost,
                     String tokenId) {
        this(name, kind, roles, agentService, agentEnv, agentHost, tokenId, null);
    }

    /**
     * How many hosts this principal may register: an agent token bound to one host, that host; an unbound one, its
     * limit (made-up hosts would otherwise join rollouts, even as canaries). Null: no limit (people with the right).
     */
    public Integer hostLimit() {
        if (kind == Kind.USER) return null;
        if (agentHost != null) return 1;
        return agentMaxHosts == null ? DEFAULT_ENROLMENT_HOSTS : agentMaxHosts;
    }

    public boolean can(Permission p, String service) {
        if (p == Permission.PUBLIC || p == Permission.AUTHENTICATED) return true;
        if (kind == Kind.AGENT) {
            // an agent speaks its protocol and reads the bundles of its own service, nothing else
            return (p == Permission.AGENT || p == Permission.READ) && service != null && service.equals(agentService);
        }
        for (String scope : service == null ? Set.of("*") : Set.of("*", service)) {
            for (Role r : roles.getOrDefault(scope, Set.of())) if (r.grants(p)) return true;
        }
        return false;
    }

    /** May this principal speak for host {@code host} of {@code service}/{@code env}? */
    public boolean isAgentFor(String service, String env, String host) {
        if (kind == Kind.USER) return can(Permission.ADMIN, service);
        return service.equals(agentService) && env.equals(agentEnv) && (agentHost == null || agentHost.equals(host));
    }
}
