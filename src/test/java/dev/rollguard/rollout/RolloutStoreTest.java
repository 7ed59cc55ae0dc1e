package dev.rollguard.rollout;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The parsed fleets the store keeps: a listing of past rollouts must not evict the running ones, read every tick. */
class RolloutStoreTest {
    @Test
    void theLeastRecentlyReadFleetIsDroppedFirst() {
        Map<String, Integer> kept = RolloutStore.recentlyUsed(3);
        kept.put("running", 0);
        kept.put("a", 1);
        kept.put("b", 2);
        // a tick reads the running rollout: it becomes the most recent
        assertThat(kept.get("running")).isEqualTo(0);
        kept.put("c", 3);
        assertThat(kept).as("the eldest read, not the eldest put, goes").containsOnlyKeys("running", "b", "c");
    }

    @Test
    void aListingOfPastRolloutsLeavesTheRunningOnesFleets() {
        Map<String, Integer> kept = RolloutStore.recentlyUsed(RolloutStore.FLEETS_KEPT);
        for (int i = 0; i < 10; i++) kept.put("running-" + i, i);
        // the API lists 50 rollouts of a service; a tick reads every running one between two listings
        for (int listing = 0; listing < 3; listing++) {
            for (int i = 0; i < 50; i++) kept.put("past-" + listing + "-" + i, i);
            for (int i = 0; i < 10; i++) assertThat(kept.get("running-" + i)).as("listing %d", listing).isEqualTo(i);
        }
        assertThat(kept).hasSize(RolloutStore.FLEETS_KEPT);
    }
}
