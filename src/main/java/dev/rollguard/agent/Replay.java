package dev.rollguard.agent;

import com.github.difflib.DiffUtils;
import com.github.difflib.patch.AbstractDelta;
import dev.rollguard.protocol.AgentProtocol;
import dev.rollguard.protocol.AgentProtocol.ProbeAnswer;
import dev.rollguard.protocol.AgentProtocol.ReplayBlock;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Preflight's replay: this host's own recent requests sent to a shadow of the current version (control) and a shadow
 * of the candidate, and their answers compared. The idea is Twitter's Diffy: a difference between control and
 * candidate counts only when it is more than a second answer of the control differs from the first (timestamps,
 * nonces, random order are noise the control shows against itself).
 *
 * <p>The verdict is a pure function ({@link #judge}); sending is plain HTTP/1.0 over a loopback socket, so the request
 * carries exactly the logged virtual host in {@code Host} (the JDK's client refuses to set it) and the answer comes
 * unchunked and closed.
 */
public final class Replay {
    /** An answer: status 0 when none came (refused, reset, timed out). Bodies beyond {@link #MAX_BODY} are cut there. */
    public record Answer(int status, byte[] body) {
        public static final Answer NONE = new Answer(0, new byte[0]);

        public boolean served() { return status >= 200 && status < 400; }
    }

    /** What the replay found: how many requests were compared, how many the budget left unsent, which failed. */
    public record Outcome(int compared, int unsent, List<ProbeAnswer> failed, Duration took) {
        public boolean passed() { return failed.isEmpty(); }
    }

    /** Why a candidate's answer is worse than the control's; empty when it is not. */
    public sealed interface Verdict {
        record Same() implements Verdict {}

        record Worse(String why) implements Verdict {}
    }

    static final int MAX_BODY = 2 * 1024 * 1024;
    private static final Pattern STATUS_LINE = Pattern.compile("^HTTP/\\d\\.\\d (\\d{3})");
    private static final Pattern TOKEN = Pattern.compile("\\w+|[^\\w\\s]");

    private Replay() {}

    /**
     * Is the candidate's answer worse than the control's? A request the control did not serve is no evidence either
     * way. A candidate that answers nothing, 5xx or 4xx where the control served is worse. With {@code BODY}, so is a
     * body that differs from the control's in places where a second answer of the control ({@code secondControl},
     * asked only when the bodies differ) does not.
     */
    public static Verdict judge(Answer control, Answer candidate, Supplier<Answer> secondControl, ReplayBlock block) {
        if (!control.served()) return new Verdict.Same();
        if (candidate.status() == 0) return new Verdict.Worse("no answer (the current version answered " + control.status() + ")");
        if (candidate.status() >= 400) {
            return new Verdict.Worse("answered " + candidate.status() + " (the current version answered " + control.status() + ")");
        }
        if (block == ReplayBlock.STATUS || Arrays.equals(control.body(), candidate.body())) return new Verdict.Same();
        Answer again = secondControl.get();
        if (!again.served()) return new Verdict.Same(); // the control cannot agree with itself: no baseline to judge a body by
        return bodyBeyondNoise(text(control), text(again), text(candidate))
                ? new Verdict.Worse("answered " + candidate.status() + " with a body that differs from the current version's beyond its own noise")
                : new Verdict.Same();
    }

    /**
     * Does {@code candidate} differ from {@code control} anywhere {@code control2} (the control asked again) does not?
     * Compared as tokens (words and single punctuation marks), aligned by a Myers diff: the control's token positions
     * that change between its two answers are noise, and so are insertions next to them.
     */
    static boolean bodyBeyondNoise(String control, String control2, String candidate) {
        List<String> a = tokens(control);
        List<String> b = tokens(control2);
        List<String> c = tokens(candidate);
        BitSet noisy = new BitSet(a.size() + 1);
        for (AbstractDelta<String> d : DiffUtils.diff(a, b).getDeltas()) mark(noisy, d);
        for (AbstractDelta<String> d : DiffUtils.diff(a, c).getDeltas()) {
            int from = d.getSource().getPosition();
            int size = d.getSource().size();
            if (size == 0) {
                if (!noisy.get(from) && (from == 0 || !noisy.get(from - 1))) return true;
            } else if (noisy.nextClearBit(from) < from + size) {
                return true;
            }
        }
        return false;
    }

    private static void mark(BitSet noisy, AbstractDelta<String> d) {
        int from = d.getSource().getPosition();
        int size = d.getSource().size();
        if (size == 0) noisy.set(from);
        else noisy.set(from, from + size);
    }

    static List<String> tokens(String s) {
        List<String> out = new ArrayList<>();
        Matcher m = TOKEN.matcher(s);
        while (m.find()) out.add(m.group());
        return out;
    }

    private static String text(Answer a) {
        return new String(a.body(), StandardCharsets.UTF_8);
    }

    /**
     * Replays {@code requests} to both shadows, {@code settings.concurrency()} at a time, until they are done or the
     * budget is spent. A request whose candidate answer is worse is asked of both once more before it counts, so a
     * single hiccup of either shadow blocks nothing.
     */
    public static Outcome run(List<ReplaySet.Request> requests, int controlPort, int candidatePort, AgentProtocol.Replay settings)
            throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + settings.budget().toNanos();
        List<ReplaySet.Request> todo = requests.stream().filter(r -> !settings.skips(r.path())).limit(settings.requests()).toList();
        AtomicInteger compared = new AtomicInteger();
        List<ProbeAnswer> failed = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(settings.concurrency(), todo.size())), r -> {
            Thread t = new Thread(r, "preflight-replay");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (ReplaySet.Request r : todo) {
                futures.add(pool.submit(() -> {
                    if (System.nanoTime() > deadline) return;
                    ProbeAnswer worse = compare(r, controlPort, candidatePort, settings.block(), deadline);
                    if (System.nanoTime() > deadline && worse != null && worse.status() == 0) return; // cut by the budget, not an answer
                    compared.incrementAndGet();
                    if (worse != null) {
                        synchronized (failed) {
                            failed.add(worse);
                        }
                    }
                }));
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    throw new IllegalStateException("replay failed: " + e.getCause(), e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
        }
        return new Outcome(compared.get(), todo.size() - compared.get(), List.copyOf(failed), Duration.ofNanos(System.nanoTime() - start));
    }

    /** One request compared; null when the candidate is not worse, else its answer (expected: the control's status). */
    private static ProbeAnswer compare(ReplaySet.Request r, int controlPort, int candidatePort, ReplayBlock block, long deadline) {
        Answer control = send(controlPort, r, deadline);
        Answer candidate = send(candidatePort, r, deadline);
        Supplier<Answer> again = () -> send(controlPort, r, deadline);
        Verdict v = judge(control, candidate, again, block);
        if (v instanceof Verdict.Worse) {
            // once more, both: a verdict that does not repeat was a hiccup
            control = send(controlPort, r, deadline);
            candidate = send(candidatePort, r, deadline);
            v = judge(control, candidate, again, block);
        }
        if (!(v instanceof Verdict.Worse w)) return null;
        return new ProbeAnswer(r.target(), candidate.status(), control.status(),
                (r.vhost() == null ? "" : "Host " + r.vhost() + ": ") + r.method() + " " + w.why() + excerpt(candidate));
    }

    private static String excerpt(Answer a) {
        String lines = Preflight.firstLines(text(a));
        return lines.isEmpty() ? "" : "; body: " + lines;
    }

    /** One request over a fresh loopback connection, HTTP/1.0 so the answer is neither chunked nor kept alive. */
    static Answer send(int port, ReplaySet.Request r, long deadline) {
        long leftMillis = (deadline - System.nanoTime()) / 1_000_000;
        if (leftMillis <= 0) return Answer.NONE;
        int timeout = (int) Math.min(10_000, leftMillis);
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), timeout);
            s.setSoTimeout(timeout);
            // one Host for both shadows: a site that writes absolute URLs from it (WordPress does) must not differ by port
            String host = r.vhost() != null ? r.vhost() : "127.0.0.1";
            OutputStream out = s.getOutputStream();
            out.write((r.method() + " " + r.target() + " HTTP/1.0\r\nHost: " + host + "\r\nUser-Agent: rollguard-preflight-replay\r\n"
                    + "Accept: */*\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return parse(readBounded(s.getInputStream()));
        } catch (IOException e) {
            return Answer.NONE;
        }
    }

    private static byte[] readBounded(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        byte[] chunk = new byte[16 * 1024];
        int n;
        while (buf.size() < MAX_BODY + 64 * 1024 && (n = in.read(chunk)) >= 0) buf.write(chunk, 0, n);
        return buf.toByteArray();
    }

    static Answer parse(byte[] raw) {
        String head = new String(raw, 0, Math.min(raw.length, 64 * 1024), StandardCharsets.ISO_8859_1);
        Matcher m = STATUS_LINE.matcher(head);
        if (!m.find()) return Answer.NONE;
        int end = head.indexOf("\r\n\r\n");
        int bodyStart = end < 0 ? raw.length : end + 4;
        int bodyEnd = Math.min(raw.length, bodyStart + MAX_BODY);
        return new Answer(Integer.parseInt(m.group(1)), Arrays.copyOfRange(raw, bodyStart, bodyEnd));
    }
}
