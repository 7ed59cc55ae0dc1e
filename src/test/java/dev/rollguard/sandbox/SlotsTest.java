package dev.rollguard.sandbox;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Who gets a freed checker slot, and what happens when too many wait. */
class SlotsTest {
    private static final Duration LONG = Duration.ofMinutes(5);

    /** A waiter that, once served, records its owner and gives the slot back at once. */
    private static Thread waiter(Slots slots, Turn turn, List<String> served, AtomicReference<Throwable> failed) {
        return waiter(slots, turn, 0, served, failed);
    }

    /** A waiter for a run that may hold {@code ceiling} bytes. */
    private static Thread waiter(Slots slots, Turn turn, long ceiling, List<String> served, AtomicReference<Throwable> failed) {
        Thread t = new Thread(() -> {
            try (Slots.Slot s = slots.acquire(turn, ceiling)) {
                served.add(turn.owner());
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Test
    void aHugePushDoesNotGoAheadOfAnotherServicesOneCheck() throws InterruptedException {
        Slots slots = new Slots(1, 16, 64);
        List<String> served = Collections.synchronizedList(new ArrayList<>());
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Slots.Slot held = slots.acquire(Turn.of("huge", LONG), 0);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            threads.add(waiter(slots, Turn.of("huge", LONG), served, failed));
            int n = i + 1;
            await().atMost(Duration.ofSeconds(30)).until(() -> slots.use().waiting() == n);
        }
        threads.add(waiter(slots, Turn.of("small", LONG), served, failed));
        await().atMost(Duration.ofSeconds(30)).until(() -> slots.use().waiting() == 6);

        held.close();
        for (Thread t : threads) t.join(30_000);
        assertThat(failed.get()).isNull();
        // "small" came last but is served next: "huge" was served more recently
        assertThat(served).containsExactly("small", "huge", "huge", "huge", "huge", "huge");
        assertThat(slots.use()).isEqualTo(new Slots.Use(1, 0, 0, Long.MAX_VALUE, 0));
    }

    @Test
    void aFreedSlotGoesToTheOwnerWithFewerRunsGoing() throws InterruptedException {
        Slots slots = new Slots(2, 16, 64);
        List<String> served = Collections.synchronizedList(new ArrayList<>());
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Slots.Slot a1 = slots.acquire(Turn.of("a", LONG), 0);
        Slots.Slot b1 = slots.acquire(Turn.of("b", LONG), 0);
        Thread a2 = waiter(slots, Turn.of("a", LONG), served, failed);
        await().atMost(Duration.ofSeconds(30)).until(() -> slots.use().waiting() == 1);
        Thread b2 = waiter(slots, Turn.of("b", LONG), served, failed);
        await().atMost(Duration.ofSeconds(30)).until(() -> slots.use().waiting() == 2);
        // b's slot is freed while a still runs one: b's waiter goes first though a's came earlier
        b1.close();
        b2.join(30_000);
        // b's waiter gives its slot back at once, so a's may already be served too: b was first
        assertThat(served).first().isEqualTo("b");
        a1.close();
        a2.join(30_000);
        assertThat(served).containsExactly("b", "a");
        assertThat(failed.get()).isNull();
    }

    @Test
    void tooManyWaitingAreRefusedWithWhenToRetry() {
        Slots slots = new Slots(1, 2, 3);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        List<String> served = Collections.synchronizedList(new ArrayList<>());
        Slots.Slot held = slots.acquire(Turn.of("a", LONG), 0);
        List<Turn> turns = new ArrayList<>();
        for (String owner : List.of("a", "a", "b")) {
            Turn t = Turn.of(owner, LONG);
            turns.add(t);
            waiter(slots, t, served, failed);
            int n = turns.size();
            await().atMost(Duration.ofSeconds(30)).until(() -> slots.use().waiting() == n);
        }
        assertThatThrownBy(() -> slots.acquire(Turn.of("a", LONG), 0)).isInstanceOfSatisfying(Slots.Refusal.class, e -> {
            assertThat(e.status()).isEqualTo(429);
            assertThat(e.code()).isEqualTo("checks_queue_full");
            assertThat(e.details()).containsEntry(Slots.RETRY_AFTER, 10);
        });
        assertThatThrownBy(() -> slots.acquire(Turn.of("c", LONG), 0)).isInstanceOfSatisfying(Slots.Refusal.class, e -> {
            assertThat(e.status()).isEqualTo(503);
            assertThat(e.code()).isEqualTo("checkers_busy");
            assertThat(e.details()).containsEntry(Slots.RETRY_AFTER, 30);
        });
        turns.forEach(t -> t.cancel("test over"));
        held.close();
        await().atMost(Duration.ofSeconds(30)).until(() -> slots.use().waiting() == 0 && slots.use().running() == 0);
    }

    @Test
    void aWaiterWhoseTurnEndsLeavesTheQueue() {
        Slots slots = new Slots(1, 16, 64);
        Slots.Slot held = slots.acquire(Turn.of("a", LONG), 0);
        Turn abandoned = Turn.of("b", LONG);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread t = waiter(slots, abandoned, Collections.synchronizedList(new ArrayList<>()), failed);
        await().atMost(Duration.ofSeconds(30)).until(() -> slots.use().waiting() == 1);
        abandoned.cancel("the request was abandoned");
        await().atMost(Duration.ofSeconds(30)).until(() -> !t.isAlive());
        assertThat(failed.get()).isInstanceOf(Turn.Over.class).hasMessageContaining("the request was abandoned");
        assertThat(slots.use()).isEqualTo(new Slots.Use(1, 1, 0, Long.MAX_VALUE, 0));
        held.close();
        // a turn already over never takes a slot
        assertThatThrownBy(() -> slots.acquire(abandoned, 0)).isInstanceOf(Turn.Over.class);
        assertThat(slots.use()).isEqualTo(new Slots.Use(1, 0, 0, Long.MAX_VALUE, 0));
    }

    /**
     * Issue 25 item 3: each job's memory is bounded, and so is their sum. With slots to spare, a run waits while the
     * ceilings of the runs going would exceed the budget with its own, and starts when enough memory is given back.
     */
    @Test
    void runsWaitForMemoryWhileSlotsAreFree() throws InterruptedException {
        long m = Job.MEMORY_CEILING;
        Slots slots = new Slots(4, 2 * m, 16, 64);
        Slots.Slot a = slots.acquire(Turn.of("a", LONG), m);
        Slots.Slot b = slots.acquire(Turn.of("b", LONG), m);
        assertThat(slots.use()).isEqualTo(new Slots.Use(4, 2, 0, 2 * m, 2 * m));
        List<String> served = Collections.synchronizedList(new ArrayList<>());
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread c = waiter(slots, Turn.of("c", LONG), 1, served, failed);
        await().atMost(Duration.ofSeconds(30)).until(() -> slots.use().waiting() == 1);
        assertThat(served).isEmpty();
        a.close();
        c.join(30_000);
        assertThat(served).containsExactly("c");
        assertThat(failed.get()).isNull();
        assertThat(slots.use()).isEqualTo(new Slots.Use(4, 1, 0, 2 * m, m));
        b.close();
        assertThat(slots.use().memoryReserved()).isZero();
    }

    /** A large run first in line is not overtaken by small ones that would fit: it starts as soon as enough ends. */
    @Test
    void aLargeRunIsNotStarvedBySmallOnes() throws InterruptedException {
        long m = Job.MEMORY_CEILING;
        Slots slots = new Slots(4, 2 * m, 16, 64);
        Slots.Slot held = slots.acquire(Turn.of("held", LONG), m);
        List<String> served = Collections.synchronizedList(new ArrayList<>());
        AtomicReference<Throwable> failed = new AtomicReference<>();
        CountDownLatch bigRuns = new CountDownLatch(1);
        CountDownLatch bigMayEnd = new CountDownLatch(1);
        Thread big = new Thread(() -> {
            try (Slots.Slot s = slots.acquire(Turn.of("big", LONG), 2 * m)) {
                served.add("big");
                bigRuns.countDown();
                bigMayEnd.await();
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        big.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> slots.use().waiting() == 1);
        Thread small = waiter(slots, Turn.of("small", LONG), 1, served, failed);
        await().atMost(Duration.ofSeconds(30)).until(() -> slots.use().waiting() == 2);
        // the small run would fit beside the held one, but the big one is first in line
        assertThat(served).isEmpty();
        held.close();
        bigRuns.await();
        assertThat(slots.use()).isEqualTo(new Slots.Use(4, 1, 1, 2 * m, 2 * m));
        bigMayEnd.countDown();
        big.join(30_000);
        small.join(30_000);
        assertThat(served).containsExactly("big", "small");
        assertThat(failed.get()).isNull();
        assertThat(slots.use()).isEqualTo(new Slots.Use(4, 0, 0, 2 * m, 0));
    }

    /** A run waiting for memory leaves when its turn ends, and the runs behind it go on. */
    @Test
    void aWaiterForMemoryWhoseTurnEndsLetsTheNextOneIn() throws InterruptedException {
        long m = Job.MEMORY_CEILING;
        Slots slots = new Slots(4, 2 * m, 16, 64);
        Slots.Slot held = slots.acquire(Turn.of("held", LONG), m);
        List<String> served = Collections.synchronizedList(new ArrayList<>());
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Turn bigTurn = Turn.of("big", LONG);
        AtomicReference<Throwable> bigFailed = new AtomicReference<>();
        Thread big = waiter(slots, bigTurn, 2 * m, served, bigFailed);
        await().atMost(Duration.ofSeconds(30)).until(() -> slots.use().waiting() == 1);
        Thread small = waiter(slots, Turn.of("small", LONG), m, served, failed);
        await().atMost(Duration.ofSeconds(30)).until(() -> slots.use().waiting() == 2);
        bigTurn.cancel("the request was abandoned");
        big.join(30_000);
        small.join(30_000);
        assertThat(bigFailed.get()).isInstanceOf(Turn.Over.class);
        assertThat(served).containsExactly("small");
        assertThat(failed.get()).isNull();
        held.close();
        assertThat(slots.use()).isEqualTo(new Slots.Use(4, 0, 0, 2 * m, 0));
    }

    @Test
    void aBudgetSmallerThanOneJobOrARunLargerThanTheBudgetIsRefused() {
        assertThatThrownBy(() -> new Slots(2, Job.MEMORY_CEILING - 1, 16, 64)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least one job's ceiling");
        Slots slots = new Slots(2, Job.MEMORY_CEILING, 16, 64);
        assertThatThrownBy(() -> slots.acquire(Turn.of("a", LONG), Job.MEMORY_CEILING + 1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Slots.defaultMemoryBudget()).isGreaterThanOrEqualTo(Job.MEMORY_CEILING);
    }

    @Test
    void aTurnPastItsDeadlineIsOver() {
        Turn t = Turn.of("a", Duration.ZERO);
        assertThat(t.overReason()).isEqualTo("its time ran out");
        assertThatThrownBy(t::check).isInstanceOfSatisfying(Turn.Over.class, e -> {
            assertThat(e.status()).isEqualTo(503);
            assertThat(e.details()).containsKey(Slots.RETRY_AFTER);
        });
        assertThat(Turn.unbounded("cli").overReason()).isNull();
    }
}
