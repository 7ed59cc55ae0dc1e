package dev.rollguard.sim;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One HTTP/1.1 response read off a keep-alive connection, byte by byte as it arrives: the status line, the headers the
 * pollers need ({@code Content-Length}, {@code Transfer-Encoding: chunked}, {@code Connection: close}) and the body.
 * Pure and incremental: {@link #parse} answers null until the whole response is in the buffer.
 */
final class HttpExchange {
    private HttpExchange() {}

    /** A whole response: its status, body, whether the server closes the connection after it, and the bytes it took. */
    record Response(int status, byte[] body, boolean close, int length) {}

    /**
     * A response's head: its status, its {@code Content-Length} (-1: none), whether its body is chunked, whether the server
     * closes the connection after it, and the bytes the head took.
     */
    record Head(int status, long contentLength, boolean chunked, boolean close, int length) {}

    /** The head of the response at the start of {@code buf[0, end)}, or null while it is incomplete; read in place. */
    static Head head(byte[] buf, int end) {
        int head = indexOf(buf, 0, end, HEAD_END);
        if (head < 0) return null;
        int firstLine = indexOf(buf, 0, head, CRLF);
        if (firstLine < 0) firstLine = head;
        int sp = indexOf(buf, 0, firstLine, SPACE);
        if (sp < 0 || firstLine < sp + 4 || !startsWith(buf, 0, firstLine, HTTP_1)) {
            throw new IllegalStateException("not an HTTP/1.x response: " + new String(buf, 0, firstLine, StandardCharsets.ISO_8859_1));
        }
        int status = 0;
        for (int i = sp + 1; i < sp + 4; i++) {
            if (buf[i] < '0' || buf[i] > '9') {
                throw new IllegalStateException("not an HTTP status: " + new String(buf, 0, firstLine, StandardCharsets.ISO_8859_1));
            }
            status = status * 10 + buf[i] - '0';
        }
        long contentLength = -1;
        boolean chunked = false;
        boolean close = buf[HTTP_1.length] == '0';
        for (int line = firstLine + 2; line < head; ) {
            int eol = indexOf(buf, line, head, CRLF);
            if (eol < 0) eol = head;
            int colon = indexOf(buf, line, eol, COLON);
            if (colon > 0) {
                int value = colon + 1;
                while (value < eol && (buf[value] == ' ' || buf[value] == '\t')) value++;
                int valueEnd = eol;
                while (valueEnd > value && (buf[valueEnd - 1] == ' ' || buf[valueEnd - 1] == '\t')) valueEnd--;
                if (named(buf, line, colon, CONTENT_LENGTH)) {
                    contentLength = Long.parseLong(new String(buf, value, valueEnd - value, StandardCharsets.ISO_8859_1));
                } else if (named(buf, line, colon, TRANSFER_ENCODING)) {
                    chunked = indexOfIgnoreCase(buf, value, valueEnd, CHUNKED) >= 0;
                } else if (named(buf, line, colon, CONNECTION)) {
                    close = valueEnd - value == CLOSE.length && indexOfIgnoreCase(buf, value, valueEnd, CLOSE) == value;
                }
            }
            line = eol + 2;
        }
        return new Head(status, contentLength, chunked, close, head + 4);
    }

    private static final byte[] HEAD_END = {'\r', '\n', '\r', '\n'};
    private static final byte[] SPACE = {' '};
    private static final byte[] COLON = {':'};
    private static final byte[] HTTP_1 = "HTTP/1.".getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] CONTENT_LENGTH = "content-length".getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] TRANSFER_ENCODING = "transfer-encoding".getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] CONNECTION = "connection".getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] CHUNKED = "chunked".getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] CLOSE = "close".getBytes(StandardCharsets.ISO_8859_1);

    /** The header name at {@code buf[from, colon)} (spaces around it ignored) is {@code lowerName}, in any case. */
    private static boolean named(byte[] buf, int from, int colon, byte[] lowerName) {
        while (from < colon && buf[from] == ' ') from++;
        while (colon > from && buf[colon - 1] == ' ') colon--;
        return colon - from == lowerName.length && indexOfIgnoreCase(buf, from, colon, lowerName) == from;
    }

    /** Where {@code lower} (lower case ASCII) first starts in {@code buf[from, end)}, in any case; -1 when nowhere. */
    private static int indexOfIgnoreCase(byte[] buf, int from, int end, byte[] lower) {
        outer:
        for (int i = from; i <= end - lower.length; i++) {
            for (int j = 0; j < lower.length; j++) {
                int b = buf[i + j];
                if (b >= 'A' && b <= 'Z') b += 'a' - 'A';
                if (b != lower[j]) continue outer;
            }
            return i;
        }
        return -1;
    }

    static boolean startsWith(byte[] buf, int from, int end, byte[] prefix) {
        if (end - from < prefix.length) return false;
        for (int i = 0; i < prefix.length; i++) if (buf[from + i] != prefix[i]) return false;
        return true;
    }

    /** Bytes appended at the end and consumed from the start, read where they lie (a stream's decoded events). */
    static final class Bytes {
        byte[] data = new byte[4096];
        int length;

        void append(byte[] from, int at, int n) {
            if (length + n > data.length) data = Arrays.copyOf(data, Math.max(2 * data.length, length + n));
            System.arraycopy(from, at, data, length, n);
            length += n;
        }

        /** The first {@code n} bytes are consumed. */
        void drop(int n) {
            System.arraycopy(data, n, data, 0, length - n);
            length -= n;
        }
    }

    /** The whole chunks in {@code buf[at, end)} appended to {@code to}; answers where the first incomplete chunk starts. */
    static int dechunk(byte[] buf, int at, int end, Bytes to) {
        while (true) {
            int eol = indexOf(buf, at, end, CRLF);
            if (eol < 0) return at;
            int n = chunkSize(buf, at, eol);
            if (end - (eol + 2) < n + 2) return at;
            to.append(buf, eol + 2, n);
            at = eol + 2 + n + 2;
        }
    }

    /** The chunk size in hex at {@code buf[at, eol)}, up to any extension (";..."). */
    private static int chunkSize(byte[] buf, int at, int eol) {
        int n = 0;
        int digits = 0;
        for (int i = at; i < eol && buf[i] != ';'; i++) {
            int d = Character.digit(buf[i], 16);
            if (d < 0) {
                if (buf[i] == ' ' || buf[i] == '\t') continue;
                throw new IllegalStateException("not a chunk size: " + new String(buf, at, eol - at, StandardCharsets.ISO_8859_1));
            }
            if (++digits > 7) throw new IllegalStateException("a chunk over 256 MiB");
            n = n * 16 + d;
        }
        if (digits == 0) throw new IllegalStateException("no chunk size");
        return n;
    }

    private static final byte[] CRLF = {'\r', '\n'};

    /** The response at the start of {@code buf[0, end)}, or null while it is incomplete. */
    static Response parse(byte[] buf, int end) {
        Head h = head(buf, end);
        if (h == null) return null;
        int status = h.status();
        boolean close = h.close();
        long contentLength = h.contentLength();
        boolean chunked = h.chunked();
        int start = h.length();
        if (chunked) return chunked(buf, start, end, status, close);
        int n = (int) Math.max(0, contentLength);
        if (contentLength < 0 && status != 204 && status != 304) {
            // no length and not chunked: the body runs to the connection's end, which a keep-alive poller cannot wait for
            throw new IllegalStateException("a response without Content-Length or chunked encoding");
        }
        if (end - start < n) return null;
        byte[] body = new byte[n];
        System.arraycopy(buf, start, body, 0, n);
        return new Response(status, body, close, start + n);
    }

    private static Response chunked(byte[] buf, int at, int end, int status, boolean close) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            int eol = indexOf(buf, at, end, CRLF);
            if (eol < 0) return null;
            int n = chunkSize(buf, at, eol);
            at = eol + 2;
            if (n == 0) {
                // trailers (none expected) end with an empty line
                int last = indexOf(buf, at, end, CRLF);
                if (last < 0) return null;
                while (last != at) {
                    at = last + 2;
                    last = indexOf(buf, at, end, CRLF);
                    if (last < 0) return null;
                }
                return new Response(status, body.toByteArray(), close, last + 2);
            }
            if (end - at < n + 2) return null;
            body.write(buf, at, n);
            at += n + 2;
        }
    }

    /** Where {@code what} first starts in {@code buf[from, end)}, or -1. */
    static int indexOf(byte[] buf, int from, int end, byte[] what) {
        if (what.length == 0) return from;
        byte first = what[0];
        outer:
        for (int i = from; i <= end - what.length; i++) {
            if (buf[i] != first) continue;
            for (int j = 1; j < what.length; j++) if (buf[i + j] != what[j]) continue outer;
            return i;
        }
        return -1;
    }

    /** What {@link #intField} answers for a field that is absent, null or not a whole number. */
    static final int ABSENT = Integer.MIN_VALUE;

    /** The key {@link #intField} looks for: {@code "name":} as bytes, made once per name. */
    static byte[] key(String name) {
        return ("\"" + name + "\":").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The integer after the first {@code key} ({@link #key}) in the JSON at {@code buf[from, end)}, read in place
     * ({@link #ABSENT} when absent or null): enough for a poller, which needs a version, not the whole document.
     */
    static int intField(byte[] buf, int from, int end, byte[] key) {
        int i = indexOf(buf, from, end, key);
        if (i < 0) return ABSENT;
        int at = i + key.length;
        while (at < end && buf[at] == ' ') at++;
        boolean negative = at < end && buf[at] == '-';
        if (negative) at++;
        int start = at;
        long v = 0;
        while (at < end && buf[at] >= '0' && buf[at] <= '9' && at - start < 10) v = v * 10 + (buf[at++] - '0');
        if (at == start || v > Integer.MAX_VALUE) return ABSENT;
        return (int) (negative ? -v : v);
    }
}
