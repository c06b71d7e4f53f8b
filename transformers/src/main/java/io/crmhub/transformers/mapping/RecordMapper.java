package io.crmhub.transformers.mapping;

import io.crmhub.transformers.model.SourceRecord;
import io.crmhub.transformers.normalize.Countries;
import io.crmhub.transformers.normalize.Emails;
import io.crmhub.transformers.normalize.Phones;
import io.crmhub.transformers.normalize.Text;
import io.crmhub.transformers.validation.ReasonCode;
import io.crmhub.transformers.validation.Violation;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Applies an {@link EntityMapping} to a {@link SourceRecord}: cleans every value, translates codes,
 * parses dates and numbers, normalizes e-mail and phone, and collects every violation instead of
 * stopping at the first, so that quarantine shows all reasons at once.
 */
public final class RecordMapper {

    private final EntityMapping mapping;
    private final CodeTables codeTables;
    private final Map<String, DateTimeFormatter> formatters = new LinkedHashMap<>();

    public RecordMapper(EntityMapping mapping, CodeTables codeTables) {
        this.mapping = mapping;
        this.codeTables = codeTables;
        check(mapping.fields(), "");
        if (mapping.lines() != null) {
            check(mapping.lines().fields(), "lines.");
        }
    }

    private void check(Map<String, FieldRule> rules, String prefix) {
        rules.forEach((name, rule) -> {
            String field = prefix + name;
            if (rule.codeTable() != null && rule.type() != FieldType.COUNTRY && !codeTables.has(rule.codeTable())) {
                throw new IllegalArgumentException("mapping " + mapping.source() + "/" + mapping.entity() + " field "
                        + field + " names unknown code table '" + rule.codeTable() + "'");
            }
            if (rule.type() == FieldType.DATE) {
                formatters.put(field, DateTimeFormatter.ofPattern(rule.format()));
            }
        });
    }

    public EntityMapping mapping() {
        return mapping;
    }

    public MappedRecord map(SourceRecord record) {
        List<Violation> violations = new ArrayList<>();
        Map<String, Object> values = mapRow(mapping.fields(), record.columns(), "", "", violations);
        List<Map<String, Object>> lines = new ArrayList<>();
        if (mapping.lines() != null) {
            for (int i = 0; i < record.lines().size(); i++) {
                lines.add(mapRow(mapping.lines().fields(), record.lines().get(i), "lines.", "lines[" + i + "].", violations));
            }
        }
        return new MappedRecord(record, values, lines, violations);
    }

    /**
     * @param rulePrefix  prefix of the fields' names among this mapper's date formats
     * @param fieldPrefix prefix of the fields' names in violations, so that a line's fault names the line
     */
    private Map<String, Object> mapRow(Map<String, FieldRule> rules, Map<String, String> columns, String rulePrefix,
                                       String fieldPrefix, List<Violation> violations) {
        Map<String, Object> values = new LinkedHashMap<>();
        rules.forEach((name, rule) -> {
            String field = fieldPrefix + name;
            String raw = columns.get(rule.column());
            String text = Text.clean(raw);
            if (text == null) {
                if (rule.required()) {
                    violations.add(new Violation(ReasonCode.REQUIRED, field, rule.column() + " is blank"));
                }
                return;
            }
            Object value = convert(field, rulePrefix + name, rule, text, values, violations);
            if (value != null && inRange(field, rule, value, violations)) {
                if (rule.maxLength() > 0 && value instanceof String s && s.length() > rule.maxLength()) {
                    violations.add(new Violation(ReasonCode.TOO_LONG, field,
                            "'" + s + "' is longer than " + rule.maxLength()));
                    return;
                }
                values.put(name, value);
            }
        });
        return values;
    }

    /** Whether a number is one the target field takes (its rule's minimum and digits); adds the violation if not. */
    private static boolean inRange(String field, FieldRule rule, Object value, List<Violation> violations) {
        BigDecimal n;
        if (value instanceof BigDecimal d) {
            n = d;
        } else if (value instanceof Integer i) {
            n = BigDecimal.valueOf(i);
        } else {
            return true;
        }
        String problem = null;
        if (rule.exclusiveMinimum() != null && n.compareTo(rule.exclusiveMinimum()) <= 0) {
            problem = "is not above " + rule.exclusiveMinimum().toPlainString();
        } else if (rule.minimum() != null && n.compareTo(rule.minimum()) < 0) {
            problem = "is below " + rule.minimum().toPlainString();
        } else if (rule.digits() != null) {
            // rounded to the column's scale as the database rounds (half away from zero)
            BigDecimal stored = n.setScale(rule.digits().scale(), java.math.RoundingMode.HALF_UP);
            if (stored.precision() - stored.scale() > rule.digits().integerDigits()) {
                problem = "has more than " + rule.digits().integerDigits() + " digits before the decimal point";
            }
        }
        if (problem == null) {
            return true;
        }
        violations.add(new Violation(ReasonCode.OUT_OF_RANGE, field, "'" + n.toPlainString() + "' " + problem));
        return false;
    }

    private Object convert(String field, String ruleName, FieldRule rule, String text, Map<String, Object> values,
                           List<Violation> violations) {
        switch (rule.type()) {
            case COUNTRY -> {
                return Countries.resolve(text, codeTables.table(rule.codeTable() == null ? CodeTables.COUNTRY : rule.codeTable()))
                        .orElseGet(() -> reject(violations, ReasonCode.UNKNOWN_CODE, field, "'" + text + "' is not an ISO 3166 country"));
            }
            case DATE -> {
                try {
                    return LocalDate.parse(text, formatters.get(ruleName));
                } catch (DateTimeParseException e) {
                    return reject(violations, ReasonCode.INVALID_FORMAT, field,
                            "'" + text + "' is not a date of the form " + rule.format());
                }
            }
            case DECIMAL -> {
                try {
                    return new BigDecimal(text.replace(',', '.'));
                } catch (NumberFormatException e) {
                    return reject(violations, ReasonCode.INVALID_FORMAT, field, "'" + text + "' is not a number");
                }
            }
            case INTEGER -> {
                try {
                    return new BigDecimal(text).intValueExact();
                } catch (NumberFormatException | ArithmeticException e) {
                    return reject(violations, ReasonCode.INVALID_FORMAT, field, "'" + text + "' is not a whole number");
                }
            }
            case CURRENCY -> {
                String code = text.toUpperCase(java.util.Locale.ROOT);
                try {
                    return java.util.Currency.getInstance(code).getCurrencyCode();
                } catch (IllegalArgumentException e) {
                    return reject(violations, ReasonCode.UNKNOWN_CODE, field, "'" + text + "' is not an ISO 4217 currency");
                }
            }
            case REFERENCE -> {
                return text;
            }
            case EMAIL -> {
                return Emails.canonical(text).orElseGet(() ->
                        reject(violations, ReasonCode.INVALID_FORMAT, field, "'" + text + "' is not an e-mail address"));
            }
            case PHONE -> {
                Object country = values.get("country");
                return Phones.toE164(text, country == null ? null : country.toString()).orElseGet(() ->
                        reject(violations, ReasonCode.INVALID_FORMAT, field,
                                "'" + text + "' is not a valid phone number" + (country == null ? "" : " for " + country)));
            }
            default -> {
                if (rule.codeTable() != null) {
                    return codeTables.lookup(rule.codeTable(), text).orElseGet(() ->
                            reject(violations, ReasonCode.UNKNOWN_CODE, field,
                                    "'" + text + "' is not in code table " + rule.codeTable()));
                }
                return text;
            }
        }
    }

    private static String reject(List<Violation> violations, ReasonCode code, String field, String message) {
        violations.add(new Violation(code, field, message));
        return null;
    }
}
