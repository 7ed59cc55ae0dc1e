package dev.rollguard.config;

import dev.rollguard.Problem;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * What a path of a tree holds: a file (bytes; text when they are UTF-8 without control characters) or a symbolic
 * link (its target, as written, never followed here). Both are stored content-addressed by the SHA-256 of their
 * bytes (a link's bytes are its target's text, as Git stores them).
 */
public sealed interface TreeEntry {
    /** The longest link target Linux accepts (PATH_MAX). */
    int MAX_LINK_TARGET = 4096;

    String hash();

    /** {@code text} is the decoded content, or null for binary files (images, fonts, archives). */
    record File(byte[] bytes, String text, String hash) implements TreeEntry {
        public boolean binary() { return text == null; }

        /**
         * The text as a rule or a person should read it, whatever the encoding: the UTF-8 text, else the bytes as
         * ISO-8859-1 (every byte one character, so ASCII names such as DB_PASSWORD read as they are written in a
         * Latin-1 file; NUL and other control bytes stay characters). One invalid byte must not make a file unreadable
         * to the risk rules and the masker.
         */
        public String lenientText() {
            return text != null ? text : new String(bytes, StandardCharsets.ISO_8859_1);
        }
        public long size() { return bytes.length; }
    }

    record Link(String target, String hash) implements TreeEntry {}

    static File file(byte[] bytes) {
        return new File(bytes, textOrNull(bytes), Hashing.sha256(bytes));
    }

    static File text(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return new File(bytes, isText(text) ? text : null, Hashing.sha256(bytes));
    }

    static Link link(String path, String target) {
        if (target == null || target.isEmpty() || target.indexOf('\0') >= 0
                || target.getBytes(StandardCharsets.UTF_8).length > MAX_LINK_TARGET) {
            throw new Problem(400, "invalid_link", "symlink " + path + " needs a target of 1 to " + MAX_LINK_TARGET
                    + " bytes without NUL", Map.of("path", path));
        }
        return new Link(target, Hashing.sha256(target));
    }

    /** The text of UTF-8 bytes without NUL and with at most 1% control characters; null for anything else. */
    static String textOrNull(byte[] bytes) {
        for (byte b : bytes) {
            if (b == 0) return null;
        }
        try {
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
            return isText(text) ? text : null;
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static boolean isText(String content) {
        int controls = 0;
        for (int i = 0; i < content.length(); i++) {
            char c = content.charAt(i);
            if (c == 0) return false;
            if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != 0x1b) controls++;
        }
        return controls == 0 || controls * 100L <= content.length();
    }
}
