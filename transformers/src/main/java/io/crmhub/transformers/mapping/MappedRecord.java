package io.crmhub.transformers.mapping;

import io.crmhub.transformers.model.SourceRecord;
import io.crmhub.transformers.validation.Violation;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;

/**
 * A source record after mapping: canonical field values, the canonical values of its detail rows,
 * and every violation found on the way. Typed getters keep the entity factories short.
 */
public record MappedRecord(SourceRecord source, Map<String, Object> values, List<Map<String, Object>> lines,
                           List<Violation> violations) {

    public MappedRecord {
        values = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(values));
        lines = lines == null ? List.of() : lines.stream()
                .map(l -> java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(l))).toList();
        violations = List.copyOf(violations);
    }

    public MappedRecord(SourceRecord source, Map<String, Object> values, List<Violation> violations) {
        this(source, values, List.of(), violations);
    }

    public boolean valid() {
        return violations.isEmpty();
    }

    public String text(String field) {
        Object v = values.get(field);
        return v == null ? null : v.toString();
    }

    public LocalDate date(String field) {
        return (LocalDate) values.get(field);
    }

    public BigDecimal decimal(String field) {
        return (BigDecimal) values.get(field);
    }
}
