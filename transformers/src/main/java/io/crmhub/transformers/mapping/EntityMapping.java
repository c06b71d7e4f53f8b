package io.crmhub.transformers.mapping;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The mapping of one source table to one canonical entity: which table, which column is the key,
 * which is the change time, and how each canonical field is filled. Field order matters: a {@code PHONE}
 * field reads the country mapped before it.
 */
public record EntityMapping(String source, String entity, String table, String keyColumn, String changedAtColumn,
                            String changedByColumn, Map<String, FieldRule> fields) {

    private static final java.util.regex.Pattern IDENTIFIER = java.util.regex.Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    public EntityMapping {
        for (String id : new String[]{table, keyColumn, changedAtColumn, changedByColumn}) {
            if (id != null && !IDENTIFIER.matcher(id).matches()) {
                throw new IllegalArgumentException("mapping " + source + "/" + entity + ": '" + id + "' is not a plain SQL identifier");
            }
        }
        if (keyColumn == null || keyColumn.isBlank()) {
            throw new IllegalArgumentException("mapping " + source + "/" + entity + " needs a key column");
        }
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }
}
