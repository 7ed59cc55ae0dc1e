package dev.rollguard.validate;

import dev.rollguard.config.ConfigTree;
import dev.rollguard.sandbox.Slots;
import dev.rollguard.sandbox.Turn;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Issue 25 item 6: a validation's checks run on threads of their own, under the caller's turn; a check refused for a
 * full queue or stopped with its turn refuses the whole validation (it is never reported as a validator's failure).
 */
class ValidationTurnTest {
    private static final ConfigTree TREE = ConfigTree.of(Map.of("a.conf", "x = 1\n"));

    private static Validator throwing(RuntimeException e) {
        return new Validator() {
            @Override public String id() { return "throwing"; }
            @Override public List<Finding> validate(ValidationInput input) { throw e; }
        };
    }

    @Test
    void aFullQueueRefusesTheValidation() {
        Slots full = new Slots(1, 1, 1);
        Slots.Slot held = full.acquire(Turn.unbounded("a"), 0);
        Turn waiting = Turn.unbounded("a");
        new Thread(() -> {
            try (Slots.Slot s = full.acquire(waiting, 0)) {
                // served once the test ends
            } catch (RuntimeException ignored) {
                // cancelled at the end
            }
        }).start();
        await().atMost(Duration.ofSeconds(30)).until(() -> full.use().waiting() == 1);
        RuntimeException refusal;
        try {
            full.acquire(Turn.unbounded("a"), 0);
            throw new AssertionError("not refused");
        } catch (Slots.Refusal e) {
            refusal = e;
        }
        try (Validation v = new Validation(List.of(throwing(refusal), new SyntaxValidator()))) {
            assertThatThrownBy(() -> v.run(TREE, null, null, Turn.unbounded("a"))).isSameAs(refusal);
        } finally {
            waiting.cancel("test over");
            held.close();
        }
    }

    @Test
    void aStoppedCheckStopsTheOthersOfItsTurn() {
        Turn turn = Turn.unbounded("svc");
        AtomicReference<String> seen = new AtomicReference<>();
        Validator waitsForTheTurnToEnd = new Validator() {
            @Override public String id() { return "slow"; }
            @Override public List<Finding> validate(ValidationInput input) {
                await().atMost(Duration.ofSeconds(60)).until(() -> input.turn().overReason() != null);
                seen.set(input.turn().overReason());
                return List.of();
            }
        };
        Validator stopped = new Validator() {
            @Override public String id() { return "stopped"; }
            @Override public List<Finding> validate(ValidationInput input) {
                // as the sandbox does when the turn is over
                throw new Turn.Over("svc", "the request was abandoned");
            }
        };
        try (Validation v = new Validation(List.of(waitsForTheTurnToEnd, stopped))) {
            assertThatThrownBy(() -> v.run(TREE, null, null, turn)).isInstanceOf(Turn.Over.class).hasMessageContaining("abandoned");
        }
        assertThat(seen.get()).isEqualTo("another of its checks was stopped");
    }

    @Test
    void anyOtherFailureOfAValidatorBlocksAsAFinding() {
        try (Validation v = new Validation(List.of(throwing(new IllegalStateException("boom"))))) {
            ValidationReport r = v.run(TREE, null, null, Turn.unbounded("svc"));
            assertThat(r.findings()).singleElement().satisfies(f -> assertThat(f.rule()).isEqualTo("internal:throwing"));
        }
    }

    @Test
    void validatorsDoNotRunOnTheCommonPool() {
        AtomicReference<String> thread = new AtomicReference<>();
        Validator where = new Validator() {
            @Override public String id() { return "where"; }
            @Override public List<Finding> validate(ValidationInput input) {
                thread.set(Thread.currentThread().getName());
                return List.of();
            }
        };
        try (Validation v = new Validation(List.of(where))) {
            v.run(TREE, null, null);
        }
        assertThat(thread.get()).doesNotContain("ForkJoinPool");
    }
}
