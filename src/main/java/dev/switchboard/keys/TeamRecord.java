package dev.switchboard.keys;

import java.time.Instant;
import java.util.Map;

/** A team made through the admin API, as its row keeps it. */
public record TeamRecord(String name, Map<String, String> metadata, Long credits, String period, VirtualKey.Limits limits,
                         Instant createdAt, Instant updatedAt) {}
