package io.crmhub.transformers.model;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
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
 * @param lines      raw detail rows that travel with the record (an order's lines), in order; empty for most entities
 */
public record SourceRecord(String system, String entity, String externalId, Instant changedAt,
                           Map<String, String> columns, List<Map<String, String>> lines) {

    public SourceRecord {
        Objects.requireNonNull(system, "system");
        Objects.requireNonNull(entity, "entity");
        Objects.requireNonNull(externalId, "externalId");
        columns = columns == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(columns));
        lines = lines == null ? List.of() : lines.stream()
                .map(l -> java.util.Collections.unmodifiableMap(new LinkedHashMap<>(l))).toList();
    }

    public SourceRecord(String system, String entity, String externalId, Instant changedAt, Map<String, String> columns) {
        this(system, entity, externalId, changedAt, columns, List.of());
    }

    /**
     * The key of this version of the record: the idempotent receivers record it, so that a
     * redelivery is recognised, while the next version of the same record is not.
     */
    public String versionKey() {
        return versionKey(system, entity, externalId, changedAt);
    }

    /** The version key of the record {@code externalId} as changed at {@code changedAt}. */
    public static String versionKey(String system, String entity, String externalId, Instant changedAt) {
        return system + ":" + entity + ":" + externalId + ":" + (changedAt == null ? "-" : changedAt.toEpochMilli());
    }

    /** The same record with these detail rows. */
    public SourceRecord withLines(List<Map<String, String>> detail) {
        return new SourceRecord(system, entity, externalId, changedAt, columns, detail);
    }
}
