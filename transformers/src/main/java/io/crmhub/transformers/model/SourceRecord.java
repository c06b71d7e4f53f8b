package io.crmhub.transformers.model;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A record as an outside system delivered it, before mapping: raw column values keyed by the
 * source's own column names. It is what quarantine keeps as the original payload.
 *
 * @param system     the source system, e.g. {@code erp}
 * @param entity     the canonical entity it describes, e.g. {@code account}
 * @param externalId the record's key in the source system
 * @param changedAt  the source's last-change time
 * @param columns    raw values, in source order
 */
public record SourceRecord(String system, String entity, String externalId, Instant changedAt,
                           Map<String, String> columns) {

    public SourceRecord {
        Objects.requireNonNull(system, "system");
        Objects.requireNonNull(entity, "entity");
        Objects.requireNonNull(externalId, "externalId");
        columns = columns == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(columns));
    }
}
