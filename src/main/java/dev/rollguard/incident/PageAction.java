package dev.rollguard.incident;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/** What a webhook tells a channel about an incident; {@link #wire()} is the name PagerDuty and the outbox use. */
public enum PageAction {
    TRIGGER, ACKNOWLEDGE, MITIGATED, RESOLVE;

    @JsonValue
    public String wire() { return name().toLowerCase(Locale.ROOT); }

    public static PageAction of(String wire) { return valueOf(wire.toUpperCase(Locale.ROOT)); }

    @Override
    public String toString() { return wire(); }
}
