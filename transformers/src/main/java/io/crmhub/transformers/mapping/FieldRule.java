package io.crmhub.transformers.mapping;

import java.math.BigDecimal;

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
 * @param minimum          for numbers: the least value taken, or {@code null}
 * @param exclusiveMinimum for numbers: a value they must be above, or {@code null}
 * @param digits           for {@code DECIMAL}: the target column's precision and scale, or {@code null}
 */
public record FieldRule(String column, FieldType type, String format, String codeTable, boolean required,
                        int maxLength, String references, BigDecimal minimum, BigDecimal exclusiveMinimum,
                        Digits digits) {

    /**
     * A column's precision and scale, as SQL's {@code numeric(15,2)}: {@link #of of("15,2")} in a
     * mapping file. A value with more digits before the point is refused; more after it are
     * rounded, as the database does.
     */
    public record Digits(int precision, int scale) {

        public Digits {
            if (precision < 1 || scale < 0 || scale > precision) {
                throw notDigits(precision + "," + scale);
            }
        }

        public static Digits of(String text) {
            if (text == null || !text.matches("\\d{1,4},\\d{1,4}")) {
                throw notDigits(text);
            }
            String[] ps = text.split(",");
            return new Digits(Integer.parseInt(ps[0]), Integer.parseInt(ps[1]));
        }

        private static IllegalArgumentException notDigits(String text) {
            return new IllegalArgumentException("digits are a DECIMAL field's precision and scale, as '15,2', got '" + text + "'");
        }

        /** The digits a value may have before the decimal point. */
        public int integerDigits() {
            return precision - scale;
        }
    }

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
        boolean number = type == FieldType.DECIMAL || type == FieldType.INTEGER;
        if (!number && (minimum != null || exclusiveMinimum != null)) {
            throw new IllegalArgumentException("field from column " + column + ": a minimum applies to DECIMAL and INTEGER fields");
        }
        if (digits != null && type != FieldType.DECIMAL) {
            throw new IllegalArgumentException("field from column " + column + ": digits apply to DECIMAL fields");
        }
    }

    public FieldRule(String column, FieldType type, String format, String codeTable, boolean required, int maxLength,
                     String references) {
        this(column, type, format, codeTable, required, maxLength, references, null, null, null);
    }

    public FieldRule(String column, FieldType type, String format, String codeTable, boolean required, int maxLength) {
        this(column, type, format, codeTable, required, maxLength, null);
    }
}
