package dev.rollguard.validate.format;

import dev.rollguard.config.ConfigTree;

import java.net.URI;
import java.time.Instant;

/**
 * What a CI format needs beside the report: the tree (to place fixes), where its files are as the CI job sees them
 * ({@code pathPrefix} joined to a finding's path gives a path relative to {@code baseUri}, the job's working
 * directory; with an empty base, the prefix is an absolute path), and when and where validation ran.
 */
public record ReportContext(ConfigTree tree, String pathPrefix, URI baseUri, String toolVersion, Instant finished,
                            String hostname) {

    /** A finding's path as the CI system names the file. */
    public String displayPath(String treePath) {
        return pathPrefix + treePath;
    }
}
