package io.crmhub.connectors.crm;

import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Repository;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Read access to the CRM store for the admin API: records with their cross-references. */
@Repository
public class CrmReadModel {

    /** An id of a CRM record in an outside system. */
    public record ExternalId(String system, String externalId, OffsetDateTime sourceChangedAt) {
    }

    public record AccountView(UUID id, String name, UUID parentId, UUID ownerId, String street, String postalCode,
                              String city, String country, String phone, String email, String website,
                              String creditTerms, String status, LocalDate customerSince, UUID mergedInto,
                              long version, OffsetDateTime createdAt, OffsetDateTime updatedAt,
                              List<ExternalId> externalIds) {
    }

    public record ContactView(UUID id, UUID accountId, UUID ownerId, String firstName, String lastName, String email,
                              String phone, String role, UUID mergedInto, long version, OffsetDateTime updatedAt,
                              List<ExternalId> externalIds) {
    }

    public record OrderLineView(int lineNumber, String sku, String description, BigDecimal quantity,
                                BigDecimal unitPrice) {
    }

    public record OrderView(UUID id, UUID accountId, UUID contactId, UUID ownerId, String orderNumber,
                            LocalDate orderDate, String status, String currency, BigDecimal total,
                            String failureReason, long version, OffsetDateTime updatedAt, List<OrderLineView> lines,
                            List<ExternalId> externalIds) {
    }

    private final NamedParameterJdbcTemplate jdbc;

    public CrmReadModel(NamedParameterJdbcTemplate crmJdbc) {
        this.jdbc = crmJdbc;
    }

    public List<AccountView> accounts(String nameContains, int limit, int offset) {
        return jdbc.query("""
                select * from account
                where (cast(:q as text) is null or name ilike '%' || cast(:q as text) || '%')
                order by name, id limit :limit offset :offset""", page(nameContains, limit, offset), accountRow(false));
    }

    public Optional<AccountView> account(UUID id) {
        return jdbc.query("select * from account where id = :id", new MapSqlParameterSource("id", id), accountRow(true))
                .stream().findFirst();
    }

    public List<ContactView> contacts(UUID accountId, int limit, int offset) {
        return jdbc.query("""
                select * from contact where (cast(:account as uuid) is null or account_id = cast(:account as uuid))
                order by last_name, first_name, id limit :limit offset :offset""",
                page(null, limit, offset).addValue("account", accountId), contactRow(false));
    }

    public Optional<ContactView> contact(UUID id) {
        return jdbc.query("select * from contact where id = :id", new MapSqlParameterSource("id", id), contactRow(true))
                .stream().findFirst();
    }

    public List<OrderView> orders(UUID accountId, int limit, int offset) {
        return jdbc.query("""
                select * from sales_order where (cast(:account as uuid) is null or account_id = cast(:account as uuid))
                order by order_date desc, id limit :limit offset :offset""",
                page(null, limit, offset).addValue("account", accountId), orderRow(false));
    }

    public Optional<OrderView> order(UUID id) {
        return jdbc.query("select * from sales_order where id = :id", new MapSqlParameterSource("id", id), orderRow(true))
                .stream().findFirst();
    }

    private List<ExternalId> externalIds(String entityType, UUID id) {
        return jdbc.query("""
                select system, external_id, source_changed_at from xref
                where entity_type = :type and crm_id = :id order by system""",
                new MapSqlParameterSource("type", entityType).addValue("id", id),
                (rs, i) -> new ExternalId(rs.getString(1), rs.getString(2), rs.getObject(3, OffsetDateTime.class)));
    }

    private RowMapper<AccountView> accountRow(boolean withXrefs) {
        return (rs, i) -> {
            UUID id = rs.getObject("id", UUID.class);
            return new AccountView(id, rs.getString("name"), rs.getObject("parent_id", UUID.class),
                    rs.getObject("owner_id", UUID.class), rs.getString("street"), rs.getString("postal_code"),
                    rs.getString("city"), rs.getString("country"), rs.getString("phone"), rs.getString("email"),
                    rs.getString("website"), rs.getString("credit_terms"), rs.getString("status"),
                    rs.getObject("customer_since", LocalDate.class), rs.getObject("merged_into", UUID.class),
                    rs.getLong("version"), rs.getObject("created_at", OffsetDateTime.class),
                    rs.getObject("updated_at", OffsetDateTime.class),
                    withXrefs ? externalIds("ACCOUNT", id) : List.of());
        };
    }

    private RowMapper<ContactView> contactRow(boolean withXrefs) {
        return (rs, i) -> {
            UUID id = rs.getObject("id", UUID.class);
            return new ContactView(id, rs.getObject("account_id", UUID.class), rs.getObject("owner_id", UUID.class),
                    rs.getString("first_name"), rs.getString("last_name"), rs.getString("email"), rs.getString("phone"),
                    rs.getString("role"), rs.getObject("merged_into", UUID.class), rs.getLong("version"),
                    rs.getObject("updated_at", OffsetDateTime.class), withXrefs ? externalIds("CONTACT", id) : List.of());
        };
    }

    private RowMapper<OrderView> orderRow(boolean withDetails) {
        return (rs, i) -> {
            UUID id = rs.getObject("id", UUID.class);
            return new OrderView(id, rs.getObject("account_id", UUID.class), rs.getObject("contact_id", UUID.class),
                    rs.getObject("owner_id", UUID.class), rs.getString("order_number"),
                    rs.getObject("order_date", LocalDate.class), rs.getString("status"), rs.getString("currency"),
                    rs.getBigDecimal("total"), rs.getString("failure_reason"), rs.getLong("version"),
                    rs.getObject("updated_at", OffsetDateTime.class),
                    withDetails ? lines(id) : List.of(), withDetails ? externalIds("ORDER", id) : List.of());
        };
    }

    private List<OrderLineView> lines(UUID orderId) {
        return jdbc.query("select * from order_line where order_id = :id order by line_number",
                new MapSqlParameterSource("id", orderId),
                (rs, i) -> new OrderLineView(rs.getInt("line_number"), rs.getString("sku"), rs.getString("description"),
                        rs.getBigDecimal("quantity"), rs.getBigDecimal("unit_price")));
    }

    private static MapSqlParameterSource page(String q, int limit, int offset) {
        return new MapSqlParameterSource().addValue("q", q == null || q.isBlank() ? null : q)
                .addValue("limit", Math.max(1, Math.min(limit, 500))).addValue("offset", Math.max(0, offset));
    }
}
