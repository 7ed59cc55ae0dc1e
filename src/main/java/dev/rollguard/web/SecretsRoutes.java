package dev.rollguard.web;

import dev.rollguard.auth.Permission;
import dev.rollguard.secrets.SecretsService;

import static dev.rollguard.web.ApiServer.json;

/** The secrets key ring, for admins on every service: which keys (ids only) and rotation. */
public final class SecretsRoutes {
    private SecretsRoutes() {}

    public static void register(ApiServer server, SecretsService secrets) {
        server.get("/api/v1/secrets", Permission.ADMIN, ctx -> json(ctx, secrets.describe()));
        // the answer (key ids and counts, never a key) is the audit record's after-state
        server.post("/api/v1/secrets/rotate-key", Permission.ADMIN, ctx -> json(ctx.status(201), secrets.rotate()));
    }
}
