package dev.switchboard.config;

import java.util.List;

/** A model alias clients send as {@code model}, and the targets that can serve it, in the order written. */
public record Route(String alias, List<Target> targets) {}
