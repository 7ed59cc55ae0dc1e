package dev.rollguard.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/** A directory of a tree on the wire that has a mode ("0750"), owner or group: older agents ignore the list. */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WireDirectory(String path, String mode, String owner, String group) {}
