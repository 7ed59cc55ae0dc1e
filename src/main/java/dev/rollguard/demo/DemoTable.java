package dev.rollguard.demo;

import java.io.PrintWriter;
import java.util.Locale;

/** The demo's outcome next to the seed outage's, row by row: what the postmortem reported, what was measured here. */
final class DemoTable {
    private DemoTable() {}

    static void print(Demo.Result r, PrintWriter out) {
        say(out, "");
        say(out, "%-22s %-34s %s", "", "the seed (postmortem)", "here (measured)");
        say(out, "%-22s %-34s %s", "caught by", "customers, then pagers", r.caught() == null ? "a person (rollguard rollback)" : r.caught().describe());
        if (r.caught() != null && r.caught().inPreflight()) {
            say(out, "%-22s %-34s %s", "traffic affected", "100% at peak, every server", "none: no host ever served it");
            say(out, "%-22s %-34s %s", "time to detect", "14 min (5:46 → 6:00 AM, pagers)",
                    seconds(r.caught().detectMillis()) + " (release → caught, before the switch)");
            say(out, "%-22s %-34s %s", "time to mitigate", "~14 h (→ 7:49 PM, restarts)", "0 s (never live: nothing to undo)");
        } else {
            say(out, "%-22s %-34s %s", "traffic affected", "100% at peak, every server",
                    String.format(Locale.ROOT, "%.1f%% at peak, %d of %d hosts", r.peakPercent(), r.hostsAffected(), r.hostsTotal()));
            say(out, "%-22s %-34s %s", "time to detect", "14 min (5:46 → 6:00 AM, pagers)", seconds(r.timeToDetectMillis()) + " (first 5xx → rollback)");
            say(out, "%-22s %-34s %s", "time to mitigate", "~14 h (→ 7:49 PM, restarts)", seconds(r.timeToMitigateMillis()) + " (→ every host back)");
            say(out, "%-22s %-34s %s", "time to recover", "~14 h 4 min (→ 7:50 PM)", seconds(r.timeToRecoverMillis()) + " (→ all hit hosts healthy)");
        }
        say(out, "%-22s %-34s %s", "failed requests", "every request for 14 h",
                String.format(Locale.ROOT, "%d of %d (%.2f%%) from release to fix", r.requestsFailed(), r.requestsSent(), r.failedPercent()));
        if (r.requestsFailed() > r.requestsAnswered5xx()) {
            say(out, "%-22s %-34s %s", "", "", String.format(Locale.ROOT, "(%d answered 5xx; %d not answered within 5 s on this busy machine)",
                    r.requestsAnswered5xx(), r.requestsFailed() - r.requestsAnswered5xx()));
        }
        say(out, "%-22s %-34s %s", "postmortem", "written by hand, times guessed", r.postmortem().toString());
        say(out, "");
        say(out, "done in %.0f s.", r.wallTime().toMillis() / 1000.0);
    }

    private static String seconds(long millis) {
        return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    }

    private static void say(PrintWriter out, String format, Object... args) {
        out.println(args.length == 0 ? format : String.format(Locale.ROOT, format, args));
        out.flush();
    }
}
