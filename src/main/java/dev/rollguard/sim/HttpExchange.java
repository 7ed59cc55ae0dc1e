package dev.rollguard.sim;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

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

    /** The head of the response at the start of {@code buf[0, end)}, or null while it is incomplete. */
    static Head head(byte[] buf, int end) {
        int head = indexOf(buf, 0, end, "\r\n\r\n");
        if (head < 0) return null;
        String headers = new String(buf, 0, head, StandardCharsets.ISO_8859_1);
        int sp = headers.indexOf(' ');
        if (sp < 0 || headers.length() < sp + 4 || !headers.startsWith("HTTP/1.")) {
            throw new IllegalStateException("not an HTTP/1.x response: " + headers.lines().findFirst().orElse(""));
        }
        long contentLength = -1;
        boolean chunked = false;
        boolean close = headers.startsWith("HTTP/1.0");
        for (String line : headers.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) continue;
            String name = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            if (name.equalsIgnoreCase("Content-Length")) contentLength = Long.parseLong(value);
            else if (name.equalsIgnoreCase("Transfer-Encoding")) chunked = value.toLowerCase().contains("chunked");
            else if (name.equalsIgnoreCase("Connection")) close = value.equalsIgnoreCase("close");
        }
        return new Head(Integer.parseInt(headers.substring(sp + 1, sp + 4)), contentLength, chunked, close, head + 4);
    }

    /**
     * The whole chunks in {@code buf[at, end)} appended to {@code to} (as UTF-8; an event's bytes may split across chunks only
     * between events, as the server flushes each whole); answers where the first incomplete chunk starts.
     */
    static int dechunk(byte[] buf, int at, int end, StringBuilder to) {
        while (true) {
            int eol = indexOf(buf, at, end, "\r\n");
            if (eol < 0) return at;
            String size = new String(buf, at, eol - at, StandardCharsets.ISO_8859_1);
            int semi = size.indexOf(';');
            int n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
            if (end - (eol + 2) < n + 2) return at;
            to.append(new String(buf, eol + 2, n, StandardCharsets.UTF_8));
            at = eol + 2 + n + 2;
        }
    }

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
            int eol = indexOf(buf, at, end, "\r\n");
            if (eol < 0) return null;
            String size = new String(buf, at, eol - at, StandardCharsets.ISO_8859_1);
            int semi = size.indexOf(';');
            int n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
            at = eol + 2;
            if (n == 0) {
                // trailers (none expected) end with an empty line
                int last = indexOf(buf, at, end, "\r\n");
                if (last < 0) return null;
                while (last != at) {
                    at = last + 2;
                    last = indexOf(buf, at, end, "\r\n");
                    if (last < 0) return null;
                }
                return new Response(status, body.toByteArray(), close, last + 2);
            }
            if (end - at < n + 2) return null;
            body.write(buf, at, n);
            at += n + 2;
        }
    }

    private static int indexOf(byte[] buf, int from, int end, String what) {
        byte[] w = what.getBytes(StandardCharsets.ISO_8859_1);
        outer:
        for (int i = from; i <= end - w.length; i++) {
            for (int j = 0; j < w.length; j++) if (buf[i + j] != w[j]) continue outer;
            return i;
        }
        return -1;
    }

    /**
     * The integer after {@code "name":} at the top of a small JSON answer (null when absent or null): enough for a poller,
     * which needs the desired version, not the whole document.
     */
    static Integer intField(byte[] json, String name) {
        String text = new String(json, 0, Math.min(json.length, 256), StandardCharsets.UTF_8);
        int i = text.indexOf("\"" + name + "\":");
        if (i < 0) return null;
        int at = i + name.length() + 3;
        while (at < text.length() && text.charAt(at) == ' ') at++;
        int start = at;
        while (at < text.length() && (Character.isDigit(text.charAt(at)) || text.charAt(at) == '-')) at++;
        return at == start ? null : Integer.parseInt(text.substring(start, at));
    }
}
