package io.crmhub.transformers.mapping;

import java.util.List;

/**
 * Columns read along with each record from the row of another table it points to, for context
 * the mapping needs: a contact's phone number is read in its account's country.
 *
 * @param table   the other table
 * @param key     the column both tables share (the record's pointer and the other table's key)
 * @param columns the other table's columns to read; they must not clash with the record's own
 */
public record JoinSpec(String table, String key, List<String> columns) {

    public JoinSpec {
        EntityMapping.requireIdentifiers("join " + table, table, key);
        columns = List.copyOf(columns);
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("join " + table + " reads no columns");
        }
        EntityMapping.requireIdentifiers("join " + table, columns.toArray(String[]::new));
    }
}
