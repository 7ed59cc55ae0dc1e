package dev.rollguard.sim;

import java.nio.charset.StandardCharsets;

/**
 * The agent protocol's messages as the pollers read and write them: in place, as far as an agent needs them (the version
 * released, whether its bundle came along and is of that version), and the report spelt straight into a send buffer.
 * Pure: bytes in, answers out. A benchmark of 10,000 agents pays for every String and copy per release otherwise.
 */
final class AgentMessages {
    private AgentMessages() {}

    /** What a message on the channel is: a report's answer, a refusal, a release, or something else (ignored). */
    enum Kind { REPORTED, ERROR, DESIRED, OTHER }

    /** The bytes between two events of a stream. */
    static final int EVENT_SEPARATOR = 2;

    private static final String REPORT_HEAD = "{\"appliedVersion\":";
    private static final String REPORT_TAIL = ",\"failedVersion\":null,\"applyError\":null,\"samples\":[]}";
    private static final byte[] REPORT_HEAD_BYTES = REPORT_HEAD.getBytes(StandardCharsets.UTF_8);
    private static final byte[] REPORT_TAIL_BYTES = REPORT_TAIL.getBytes(StandardCharsets.UTF_8);
    private static final byte[] DESIRED_VERSION = HttpExchange.key("desiredVersion");
    private static final byte[] VERSION = HttpExchange.key("version");
    private static final byte[] BUNDLE = "\"bundle\":{".getBytes(StandardCharsets.UTF_8);
    private static final byte[] REPORTED = "{\"reported\"".getBytes(StandardCharsets.UTF_8);
    private static final byte[] ERROR = "{\"error\"".getBytes(StandardCharsets.UTF_8);
    private static final byte[] DESIRED = "{\"desired\"".getBytes(StandardCharsets.UTF_8);
    private static final byte[] BLANK_LINE = {'\n', '\n'};
    private static final byte[] EVENT_DESIRED = "event: desired".getBytes(StandardCharsets.UTF_8);
    private static final byte[] EVENT_DESIRED_TIGHT = "event:desired".getBytes(StandardCharsets.UTF_8);
    private static final byte[] DATA = "data:".getBytes(StandardCharsets.UTF_8);

    /** The kind of the channel message at {@code json[from, end)}, by its one top-level field. */
    static Kind kind(byte[] json, int from, int end) {
        if (HttpExchange.startsWith(json, from, end, REPORTED)) return Kind.REPORTED;
        if (HttpExchange.startsWith(json, from, end, ERROR)) return Kind.ERROR;
        if (HttpExchange.startsWith(json, from, end, DESIRED)) return Kind.DESIRED;
        return Kind.OTHER;
    }

    /** The desired version in the answer at {@code json[from, end)}; {@link HttpExchange#ABSENT} when none. */
    static int desiredVersion(byte[] json, int from, int end) {
        return HttpExchange.intField(json, from, end, DESIRED_VERSION);
    }

    /**
     * As the agent checks before applying ({@code AgentProtocol.Desired.carriesBundle}): the answer at {@code json[from, end)}
     * carries a bundle, and it is of the desired version (the bundle's first {@code "version"} field).
     */
    static boolean carriesBundle(byte[] json, int from, int end, int desired) {
        int bundle = HttpExchange.indexOf(json, from, end, BUNDLE);
        return bundle >= 0 && HttpExchange.intField(json, bundle + BUNDLE.length, end, VERSION) == desired;
    }

    /** Where the first whole event in a stream's decoded bytes {@code b[from, end)} ends (its separator follows), or -1. */
    static int eventEnd(byte[] b, int from, int end) {
        return HttpExchange.indexOf(b, from, end, BLANK_LINE);
    }

    /** Where the data of the event at {@code b[from, end)} starts when it is a release ({@code event: desired}), else -1. */
    static int desiredData(byte[] b, int from, int end) {
        if (HttpExchange.indexOf(b, from, end, EVENT_DESIRED) < 0 && HttpExchange.indexOf(b, from, end, EVENT_DESIRED_TIGHT) < 0) return -1;
        int data = HttpExchange.indexOf(b, from, end, DATA);
        return data < 0 ? -1 : data + DATA.length;
    }

    /** What the agent reports after applying {@code version}: the same JSON as the agent's, with no traffic samples. */
    static String report(int version) {
        return REPORT_HEAD + version + REPORT_TAIL;
    }

    /** {@link #report} spelt at {@code into[at]}; answers where it ends. */
    static int report(int version, byte[] into, int at) {
        System.arraycopy(REPORT_HEAD_BYTES, 0, into, at, REPORT_HEAD_BYTES.length);
        at += REPORT_HEAD_BYTES.length;
        at = digits(version, into, at);
        System.arraycopy(REPORT_TAIL_BYTES, 0, into, at, REPORT_TAIL_BYTES.length);
        return at + REPORT_TAIL_BYTES.length;
    }

    /** {@code v}'s decimal digits written at {@code into[at]}; answers where they end. */
    private static int digits(int v, byte[] into, int at) {
        long rest = v;
        if (rest < 0) {
            into[at++] = '-';
            rest = -rest;
        }
        int end = at + 1;
        for (long r = rest / 10; r > 0; r /= 10) end++;
        int i = end;
        do {
            into[--i] = (byte) ('0' + rest % 10);
            rest /= 10;
        } while (rest > 0);
        return end;
    }
}
