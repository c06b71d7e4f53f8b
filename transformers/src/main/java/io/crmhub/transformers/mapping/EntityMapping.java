package io.crmhub.transformers.mapping;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The mapping of one source table to one canonical entity: which column is the key, which is the
 * change time, and how each canonical field is filled. Field order matters: a {@code PHONE}
 * field reads the country mapped before it.
 */
public record EntityMapping(String source, String entity, String keyColumn, String changedAtColumn,
                            Map<String, FieldRule> fields) {

    public EntityMapping {
        if (keyColumn == null || keyColumn.isBlank()) {
            throw new IllegalArgumentException("mapping " + source + "/" + entity + " needs a key column");
        }
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }
}
