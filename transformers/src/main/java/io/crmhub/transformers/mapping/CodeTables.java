package io.crmhub.transformers.mapping;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Translations of source codes to canonical picklist values, by table name ({@code config/code-tables}).
 * Look-ups ignore case and padding.
 */
public final class CodeTables {

    /** The table whose aliases extend the built-in ISO 3166 country resolution. */
    public static final String COUNTRY = "country";

    private final Map<String, Map<String, String>> tables;

    public CodeTables(Map<String, Map<String, String>> tables) {
        Map<String, Map<String, String>> copy = new HashMap<>();
        tables.forEach((name, codes) -> {
            Map<String, String> upper = new HashMap<>();
            codes.forEach((k, v) -> upper.put(k.strip().toUpperCase(Locale.ROOT), v));
            copy.put(name, Map.copyOf(upper));
        });
        this.tables = Map.copyOf(copy);
    }

    public boolean has(String table) {
        return tables.containsKey(table);
    }

    /** The table's entries, upper-cased keys; empty when there is no such table. */
    public Map<String, String> table(String table) {
        return tables.getOrDefault(table, Map.of());
    }

    public Optional<String> lookup(String table, String code) {
        if (code == null) {
            return Optional.empty();
        }
        return Optional.ofNullable(table(table).get(code.strip().toUpperCase(Locale.ROOT)));
    }
}
