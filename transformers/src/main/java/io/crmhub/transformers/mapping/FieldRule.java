package io.crmhub.transformers.mapping;

/**
 * How one canonical field is filled from a source column; operators write these in
 * {@code config/mappings/*.yml}.
 *
 * @param column     the source column
 * @param type       interpretation; {@code TEXT} when absent
 * @param format     a {@link java.time.format.DateTimeFormatter} pattern for {@code DATE}
 * @param codeTable  the code table translating source codes to the canonical picklist
 * @param required   whether a blank value rejects the record
 * @param maxLength  the target field's length, 0 for no limit
 * @param references for {@code REFERENCE}: the canonical entity the key belongs to ({@code account})
 */
public record FieldRule(String column, FieldType type, String format, String codeTable, boolean required,
                        int maxLength, String references) {

    public FieldRule {
        if (column == null || column.isBlank()) {
            throw new IllegalArgumentException("a field rule needs a column");
        }
        type = type == null ? FieldType.TEXT : type;
        if (type == FieldType.DATE && (format == null || format.isBlank())) {
            throw new IllegalArgumentException("DATE field from column " + column + " needs a format");
        }
        if ((type == FieldType.REFERENCE) != (references != null && !references.isBlank())) {
            throw new IllegalArgumentException("field from column " + column
                    + ": 'references' names the entity of a REFERENCE field, and only of one");
        }
    }

    public FieldRule(String column, FieldType type, String format, String codeTable, boolean required, int maxLength) {
        this(column, type, format, codeTable, required, maxLength, null);
    }
}
