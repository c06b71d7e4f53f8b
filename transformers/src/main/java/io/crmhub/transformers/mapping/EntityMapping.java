package io.crmhub.transformers.mapping;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The mapping of one source table to one canonical entity: which table, which column is the key,
 * which is the change time, and how each canonical field is filled. Field order matters: a {@code PHONE}
 * field reads the country mapped before it.
 *
 * @param join  context columns read from another table with each record; may be null
 * @param lines detail rows read with each record; may be null
 */
public record EntityMapping(String source, String entity, String table, String keyColumn, String changedAtColumn,
                            String changedByColumn, Map<String, FieldRule> fields, JoinSpec join, LineMapping lines) {

    private static final java.util.regex.Pattern IDENTIFIER = java.util.regex.Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    public EntityMapping {
        requireIdentifiers("mapping " + source + "/" + entity, table, keyColumn, changedAtColumn, changedByColumn);
        if (keyColumn == null || keyColumn.isBlank()) {
            throw new IllegalArgumentException("mapping " + source + "/" + entity + " needs a key column");
        }
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    public EntityMapping(String source, String entity, String table, String keyColumn, String changedAtColumn,
                         String changedByColumn, Map<String, FieldRule> fields) {
        this(source, entity, table, keyColumn, changedAtColumn, changedByColumn, fields, null, null);
    }

    /** SQL is built from these names: each must be a plain identifier (nulls are skipped). */
    static void requireIdentifiers(String what, String... ids) {
        for (String id : ids) {
            if (id != null && !IDENTIFIER.matcher(id).matches()) {
                throw new IllegalArgumentException(what + ": '" + id + "' is not a plain SQL identifier");
            }
        }
    }

    /** The fields that hold another record's source key, by field name: the entity each points to. */
    public Map<String, String> references() {
        Map<String, String> refs = new LinkedHashMap<>();
        fields.forEach((field, rule) -> {
            if (rule.type() == FieldType.REFERENCE) {
                refs.put(field, rule.references());
            }
        });
        return refs;
    }
}
