package io.crmhub.transformers.mapping;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The way back: canonical field values to the source's columns, by the same {@link EntityMapping}
 * that reads them. Code tables are inverted (the first source code of a canonical value wins);
 * dates use the mapping's format. Only the fields asked for are written, so a caller can leave out
 * the fields the source owns.
 */
public final class ReverseMapper {

    private final EntityMapping mapping;
    private final CodeTables codeTables;

    public ReverseMapper(EntityMapping mapping, CodeTables codeTables) {
        this.mapping = mapping;
        this.codeTables = codeTables;
    }

    public EntityMapping mapping() {
        return mapping;
    }

    /**
     * Source column values for {@code fields} of {@code values}; a null value clears the column.
     *
     * @throws IllegalArgumentException when a value has no source code in its code table
     */
    public Map<String, String> toColumns(Map<String, Object> values, Set<String> fields) {
        Map<String, String> columns = new LinkedHashMap<>();
        mapping.fields().forEach((field, rule) -> {
            if (!fields.contains(field)) {
                return;
            }
            Object v = values.get(field);
            columns.put(rule.column(), v == null ? null : toSource(field, rule, v));
        });
        return columns;
    }

    private String toSource(String field, FieldRule rule, Object value) {
        if (rule.type() == FieldType.DATE) {
            LocalDate d = value instanceof LocalDate ld ? ld : LocalDate.parse(value.toString());
            return d.format(DateTimeFormatter.ofPattern(rule.format()));
        }
        String text = value.toString();
        if (rule.codeTable() != null && rule.type() != FieldType.COUNTRY) {
            return sourceCode(rule.codeTable(), text).orElseThrow(() -> new IllegalArgumentException(
                    "no " + mapping.source() + " code for " + field + " '" + text + "' in code table " + rule.codeTable()));
        }
        return text;
    }

    private Optional<String> sourceCode(String table, String canonical) {
        return codeTables.table(table).entrySet().stream()
                .filter(e -> e.getValue().equalsIgnoreCase(canonical))
                .map(e -> e.getKey().toUpperCase(Locale.ROOT))
                .sorted()
                .findFirst();
    }
}
