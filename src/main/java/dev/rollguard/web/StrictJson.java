package dev.rollguard.web;

import dev.rollguard.Problem;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * What Jackson lets through and a strict body must not: bytes that are not UTF-8 (decoded leniently they become
 * U+FFFD) and {@code \\uD800}-style escapes of half a surrogate pair (stored, they become '?'). Either would store
 * something other than what the client sent.
 */
final class StrictJson {
    private StrictJson() {}

    static String utf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw Problem.badRequest("malformed_json", "malformed JSON: the body is not UTF-8");
        }
    }

    /** Refuses a lone surrogate, escaped or not, anywhere in the text. */
    static void requirePairedSurrogates(String text) {
        int n = text.length();
        boolean pendingHigh = false;
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            int unit = -1;
            int end = i;
            if (c == '\\' && i + 1 < n) {
                if (text.charAt(i + 1) == 'u' && i + 5 < n) {
                    unit = hex(text, i + 2);
                    end = i + 5;
                } else {
                    // any other escape (\\, \", \n ...) is one character that is not a surrogate
                    end = i + 1;
                }
            } else {
                unit = c;
            }
            boolean high = unit >= 0xD800 && unit <= 0xDBFF;
            boolean low = unit >= 0xDC00 && unit <= 0xDFFF;
            if (pendingHigh && !low || !pendingHigh && low) throw lone(text, i);
            pendingHigh = high;
            i = end;
        }
        if (pendingHigh) throw lone(text, n);
    }

    private static int hex(String text, int from) {
        try {
            return Integer.parseInt(text.substring(from, from + 4), 16);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static Problem lone(String text, int at) {
        return Problem.badRequest("malformed_json", "malformed JSON: half a UTF-16 surrogate pair near character " + at
                + " (a lone \\uD800-\\uDFFF escape is not a character)");
    }
}
