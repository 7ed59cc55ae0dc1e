package dev.rollguard.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One entry of a tree on the wire (a push, a bundle): a file as base64 of its bytes, text or not, with its SHA-256 and
 * size, and its mode ("0755"), owner and group when it has any; a link as its target. Data only: {@code config.TreeWire}
 * turns entries into a checked tree and back.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WireEntry(String path, String sha256, Long size, String base64, String link, String mode, String owner, String group) {
    public WireEntry(String path, String sha256, Long size, String base64, String link) {
        this(path, sha256, size, base64, link, null, null, null);
    }

    /** The same entry carrying these bytes instead (people's masked view): hash, size, mode and owner are the real file's. */
    public WireEntry withBase64(String b64) {
        return new WireEntry(path, sha256, size, b64, link, mode, owner, group);
    }
}
