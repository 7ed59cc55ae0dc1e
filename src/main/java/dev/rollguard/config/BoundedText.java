package dev.rollguard.config;

/**
 * Text a regular expression written by a service admin is matched against, within a time bound. Java's regex engine
 * backtracks: {@code ^((a+)\2?)+$} takes seconds on 22 characters and ages on 40, once per push. Every character the
 * engine reads goes through {@link #charAt}, which gives up with {@link Exceeded} once the deadline has passed.
 */
public final class BoundedText implements CharSequence {
    /** A user's pattern may be this long at most (a longer one is refused when the spec is saved). */
    public static final int MAX_PATTERN_LENGTH = 1000;

    /** The match ran out of time: the caller decides what that means (a risk rule: high-risk, never a pass). */
    public static final class Exceeded extends RuntimeException {
        Exceeded() {
            super("regular expression exceeded its time bound", null, false, false);
        }
    }

    private final CharSequence text;
    private final long deadlineNanos;
    private int reads;

    private BoundedText(CharSequence text, long deadlineNanos) {
        this.text = text;
        this.deadlineNanos = deadlineNanos;
    }

    /** {@code text}, to be matched before {@code deadlineNanos} ({@link System#nanoTime()}). */
    public static BoundedText of(CharSequence text, long deadlineNanos) {
        return new BoundedText(text, deadlineNanos);
    }

    @Override
    public char charAt(int index) {
        // the clock is read every 4096 characters: cheap, and a runaway match reads millions a second
        if ((++reads & 0xFFF) == 0 && System.nanoTime() - deadlineNanos > 0) throw new Exceeded();
        return text.charAt(index);
    }

    @Override
    public int length() { return text.length(); }

    @Override
    public CharSequence subSequence(int start, int end) {
        return new BoundedText(text.subSequence(start, end), deadlineNanos);
    }

    @Override
    public String toString() { return text.toString(); }
}
