package dev.rollguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.client.ApiClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Seals a secret value for a values file: read from standard input (never an argument, which shell history and the
 * process list would keep), sealed by the server with its secrets key, printed as the line to paste.
 */
@Command(name = "seal", description = "Seal a secret value (read from standard input) for rollguard.values.yaml; prints {secret: rg-sealed:...}")
public final class SealCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ServerOptions server;

    @Option(names = {"-s", "--service"}, required = true, description = "The service whose values will hold it")
    String service;

    @Override
    public Integer call() throws IOException {
        String value = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
        // a value typed or piped with echo ends in one line break that is not part of it
        if (value.endsWith("\n")) value = value.substring(0, value.length() - (value.endsWith("\r\n") ? 2 : 1));
        if (value.isEmpty()) throw new ParameterException(spec.commandLine(), "no value on standard input");
        JsonNode r = server.client().post("/api/v1/services/" + ApiClient.enc(service) + "/seal", Map.of("value", value));
        spec.commandLine().getOut().println("{secret: \"" + r.path("secret").asText() + "\"}");
        return 0;
    }
}
