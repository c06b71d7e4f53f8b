package io.crmhub.connectors.crm;

import java.util.LinkedHashMap;
import java.util.Map;

/** Canonical account field names and their CRM store columns: the only names SQL is built from. */
final class AccountColumns {

    static final Map<String, String> BY_FIELD;

    /** SQL type of a column, for typed parameters in row comparisons. */
    static String sqlType(String field) {
        return switch (field) {
            case "country" -> "char(2)";
            case "customerSince" -> "date";
            default -> "text";
        };
    }

    static {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("name", "name");
        m.put("street", "street");
        m.put("postalCode", "postal_code");
        m.put("city", "city");
        m.put("country", "country");
        m.put("phone", "phone");
        m.put("email", "email");
        m.put("website", "website");
        m.put("creditTerms", "credit_terms");
        m.put("status", "status");
        m.put("customerSince", "customer_since");
        BY_FIELD = java.util.Collections.unmodifiableMap(m);
    }

    /** Select list of an account's canonical state: each column under its field name, dates as ISO text. */
    static final String CANONICAL_SELECT;

    static {
        java.util.StringJoiner select = new java.util.StringJoiner(", ");
        BY_FIELD.forEach((field, column) -> select.add(
                ("date".equals(sqlType(field)) ? column + "::text" : column) + " as \"" + field + "\""));
        CANONICAL_SELECT = select.toString();
    }

    private AccountColumns() {
    }

    static String column(String field) {
        String c = BY_FIELD.get(field);
        if (c == null) {
            throw new IllegalArgumentException("unknown account field '" + field + "'; known: " + BY_FIELD.keySet());
        }
        return c;
    }
}
