package dev.rollguard.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One entry of a tree on the wire (a push, a bundle): a file as base64 of its bytes, text or not, with its SHA-256 and
 * size; a link as its target. Data only: {@code config.TreeWire} turns entries into a checked tree and back.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WireEntry(String path, String sha256, Long size, String base64, String link) {}
