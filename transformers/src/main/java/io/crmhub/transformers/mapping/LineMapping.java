package io.crmhub.transformers.mapping;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Detail rows that belong to a record and travel with it (an order's lines): the detail table,
 * the column holding the parent's key, the column that orders the rows, and how each canonical
 * line field is filled. Detail tables of legacy systems rarely have their own change time: a
 * change of lines is seen through the parent's change time.
 */
public record LineMapping(String table, String parentKeyColumn, String orderByColumn, Map<String, FieldRule> fields) {

    public LineMapping {
        EntityMapping.requireIdentifiers("lines of " + table, table, parentKeyColumn, orderByColumn);
        if (fields == null || fields.isEmpty()) {
            throw new IllegalArgumentException("lines of " + table + " need at least one field");
        }
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }
}
