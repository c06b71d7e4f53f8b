package io.crmhub.connectors.crm;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * A CRM store table that outside systems write, described once: each canonical field's column and
 * SQL type, the defaults the store applies, and detail rows (an order's lines). These names are
 * the only ones SQL is built from. A field whose type is {@code uuid} holds another CRM record:
 * mappings fill it with the source's key ({@code REFERENCE}), and the writer resolves it.
 *
 * @param type     the entity type as the cross-reference and the outbox name it ({@code ACCOUNT})
 * @param defaults column values the store sets when a source leaves the field empty
 * @param lines    the detail table, or null
 */
public record CrmEntity(String type, String table, Map<String, Column> fields, Map<String, String> defaults,
                        LineTable lines) {

    /** A CRM column and the SQL type values are cast to. */
    public record Column(String name, String sqlType) {

        boolean numeric() {
            return "numeric".equals(sqlType) || "int".equals(sqlType);
        }
    }

    /**
     * Detail rows replaced as a whole with their record.
     *
     * @param parentColumn the column holding the record's id
     * @param orderField   the field that numbers the rows
     */
    public record LineTable(String table, String parentColumn, String orderField, Map<String, Column> fields) {
    }

    public static final CrmEntity ACCOUNT = new CrmEntity("ACCOUNT", "account", columns(
            "name", "name:text", "street", "street:text", "postalCode", "postal_code:text", "city", "city:text",
            "country", "country:char(2)", "phone", "phone:text", "email", "email:text", "website", "website:text",
            "creditTerms", "credit_terms:text", "status", "status:text", "customerSince", "customer_since:date"),
            Map.of("status", "ACTIVE"), null);

    public static final CrmEntity CONTACT = new CrmEntity("CONTACT", "contact", columns(
            "account", "account_id:uuid", "firstName", "first_name:text", "lastName", "last_name:text",
            "email", "email:text", "phone", "phone:text", "role", "role:text"),
            Map.of(), null);

    public static final CrmEntity ORDER = new CrmEntity("ORDER", "sales_order", columns(
            "account", "account_id:uuid", "orderNumber", "order_number:text", "orderDate", "order_date:date",
            "status", "status:text", "currency", "currency:char(3)", "total", "total:numeric"),
            Map.of("status", "NEW"),
            new LineTable("order_line", "order_id", "lineNumber", columns(
                    "lineNumber", "line_number:int", "sku", "sku:text", "description", "description:text",
                    "quantity", "quantity:numeric", "unitPrice", "unit_price:numeric")));

    public CrmEntity {
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
        defaults = Map.copyOf(defaults);
    }

    /** The entity a mapping's {@code entity:} names ({@code account}, {@code contact}, {@code order}). */
    public static CrmEntity named(String entity) {
        return switch (entity.toLowerCase(Locale.ROOT)) {
            case "account" -> ACCOUNT;
            case "contact" -> CONTACT;
            case "order" -> ORDER;
            default -> throw new IllegalArgumentException("the CRM store has no entity '" + entity
                    + "'; known: account, contact, order");
        };
    }

    /** The column of a field, refusing names the table does not have. */
    public String column(String field) {
        Column c = fields.get(field);
        if (c == null) {
            throw new IllegalArgumentException("unknown " + type.toLowerCase(Locale.ROOT) + " field '" + field
                    + "'; known: " + fields.keySet());
        }
        return c.name();
    }

    /** Select list of the record's canonical state: every column as text under its field name. */
    public String canonicalSelect() {
        return selectList(fields);
    }

    static String selectList(Map<String, Column> columns) {
        StringJoiner select = new StringJoiner(", ");
        columns.forEach((field, c) -> select.add(c.name() + "::text as \"" + field + "\""));
        return select.toString();
    }

    private static Map<String, Column> columns(String... pairs) {
        Map<String, Column> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            List<String> spec = List.of(pairs[i + 1].split(":", 2));
            m.put(pairs[i], new Column(spec.get(0), spec.get(1)));
        }
        return m;
    }
}
