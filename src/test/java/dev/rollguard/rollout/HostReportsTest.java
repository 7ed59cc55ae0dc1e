package dev.rollguard.rollout;

import dev.rollguard.Problem;
import dev.rollguard.config.ServiceSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The group commit of agents' reports (which the channel's and the POST's reports share): a report is answered only after
 * its commit, and one that the stopping server could not write is refused (the agent sends it again), never dropped silently.
 */
class HostReportsTest {
    @Test
    void everyReportIsCommittedBeforeItsAnswerOrRefusedWhenTheWriterStops(@TempDir Path dir) {
        try (RolloutWorld w = new RolloutWorld(dir)) {
            w.service(ServiceSpec.defaults(), 1);
            for (int i = 0; i < 300; i++) w.registry.register("wp", "production", "h" + i, null);
            HostReports reports = new HostReports(w.store);
            List<CompletableFuture<?>> answers = new ArrayList<>();
            Map<Integer, CompletableFuture<?>> byHost = new HashMap<>();
            for (int i = 0; i < 300; i++) {
                // the writer stops while reports still come in: those after it are refused at once
                if (i == 150) reports.close();
                var a = reports.submit(new HostReports.Report("wp", "production", "h" + i, 7, null, null, null, RolloutWorld.T0));
                answers.add(a);
                byHost.put(i, a);
            }
            // nothing waits forever: each answer is given (close has finished the writer)
            CompletableFuture.allOf(answers.stream().map(a -> a.handle((v, e) -> null)).toArray(CompletableFuture[]::new)).join();
            Map<String, Integer> applied = new HashMap<>();
            for (HostInfo h : w.store.hosts("wp", "production")) applied.put(h.host(), h.appliedVersion());
            int committed = 0;
            for (int i = 0; i < 300; i++) {
                CompletableFuture<?> a = byHost.get(i);
                if (a.isCompletedExceptionally()) {
                    Throwable e = catchCause(a);
                    assertThat(e).isInstanceOf(Problem.class);
                    assertThat(((Problem) e).status()).isEqualTo(503);
                } else {
                    // answered: it was committed first
                    assertThat(applied.get("h" + i)).as("h" + i).isEqualTo(7);
                    committed++;
                }
            }
            assertThat(committed).isBetween(0, 150);
            for (int i = 150; i < 300; i++) assertThat(byHost.get(i).isCompletedExceptionally()).isTrue();
        }
    }

    private static Throwable catchCause(CompletableFuture<?> f) {
        try {
            f.join();
            return null;
        } catch (CompletionException e) {
            return e.getCause();
        }
    }
}
