package io.crmhub.connectors.crm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.store.ProcessedMessages;
import io.crmhub.transformers.mapping.AccountFactory;
import io.crmhub.transformers.mapping.MappedRecord;
import io.crmhub.transformers.model.Account;
import io.crmhub.transformers.model.SourceRecord;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Applies an account change from an outside system to the CRM store, once. In one transaction:
 * the message key is recorded (a redelivery finds it and does nothing), the cross-reference is
 * resolved (an external id always lands on the same CRM account), the account is inserted or
 * updated unless the stored version is newer, and an outbox event is written.
 */
public class AccountWriter {

    /** Consumer name under which processed message keys are recorded. */
    public static final String CONSUMER = "account-sync";

    /** What applying a change did. */
    public enum Outcome {
        CREATED, UPDATED,
        /** A redelivery of a change already applied. */
        DUPLICATE,
        /** An older version than the one stored. */
        STALE,
        /** A newer version with the values the CRM already holds: typically the echo of the hub's own write. */
        UNCHANGED
    }

    /** The CRM account concerned (null for a duplicate) and what happened to it. */
    public record Applied(UUID accountId, Outcome outcome) {
    }

    private final NamedParameterJdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final ProcessedMessages processed;
    private final ObjectMapper json;

    private final String updateSql;

    /**
     * @param crmOwned canonical fields the CRM owns: set when an account is created from a source,
     *                 never overwritten by a source afterwards
     */
    public AccountWriter(NamedParameterJdbcTemplate crmJdbc, TransactionTemplate crmTransactions,
                         ProcessedMessages processed, ObjectMapper json, java.util.Set<String> crmOwned) {
        this.jdbc = crmJdbc;
        this.tx = crmTransactions;
        this.processed = processed;
        this.json = json;
        crmOwned.forEach(AccountColumns::column);
        this.updateSql = updateSql(crmOwned);
    }

    /** The update of a source-owned account: only a real difference in the fields the source may write is a change. */
    private static String updateSql(java.util.Set<String> crmOwned) {
        java.util.StringJoiner set = new java.util.StringJoiner(", ");
        java.util.StringJoiner columns = new java.util.StringJoiner(", ");
        java.util.StringJoiner values = new java.util.StringJoiner(", ");
        AccountColumns.BY_FIELD.forEach((field, column) -> {
            if (crmOwned.contains(field)) {
                return;
            }
            String value = "cast(:" + field + " as " + AccountColumns.sqlType(field) + ")";
            if ("status".equals(field)) {
                value = "coalesce(" + value + ", status)";
            }
            set.add(column + " = " + value);
            columns.add(column);
            values.add(value);
        });
        // The echo of the hub's own write to the source ends here: same values, no new version, no event.
        return "update account set " + set + ", updated_at = now(), version = version + 1"
                + " where id = :id and (" + columns + ", null) is distinct from (" + values + ", null)";
    }

    /** The idempotency key of a source change: the record and the source's version of it. */
    public static String messageKey(SourceRecord r) {
        return r.system() + ":" + r.entity() + ":" + r.externalId() + ":"
                + (r.changedAt() == null ? "-" : r.changedAt().toEpochMilli());
    }

    public Applied apply(MappedRecord record) {
        if (!record.valid()) {
            throw new IllegalArgumentException("invalid record must go to quarantine, not to the CRM: " + record.violations());
        }
        return tx.execute(status -> applyInTransaction(record));
    }

    private Applied applyInTransaction(MappedRecord record) {
        SourceRecord src = record.source();
        if (!processed.markProcessed(CONSUMER, messageKey(src))) {
            return new Applied(null, Outcome.DUPLICATE);
        }
        String system = src.system().toUpperCase(Locale.ROOT);
        Account account = AccountFactory.from(record);
        MapSqlParameterSource p = params(account)
                .addValue("system", system)
                .addValue("externalId", src.externalId())
                .addValue("changedAt", src.changedAt() == null ? null : Timestamp.from(src.changedAt()));
        List<Xref> existing = jdbc.query("""
                select crm_id, source_changed_at from xref
                where entity_type = 'ACCOUNT' and system = :system and external_id = :externalId for update""",
                p, (rs, i) -> new Xref(rs.getObject(1, UUID.class), toInstant(rs.getTimestamp(2))));
        if (existing.isEmpty()) {
            UUID id = jdbc.queryForObject("""
                    insert into account (name, street, postal_code, city, country, phone, email, website,
                                         credit_terms, status, customer_since)
                    values (:name, :street, :postalCode, :city, :country, :phone, :email, :website,
                            :creditTerms, coalesce(:status, 'ACTIVE'), :customerSince)
                    returning id""", p, UUID.class);
            jdbc.update("""
                    insert into xref (entity_type, system, external_id, crm_id, source_changed_at)
                    values ('ACCOUNT', :system, :externalId, :id, :changedAt)""", p.addValue("id", id));
            outbox(id, "ACCOUNT_CREATED", system, account);
            return new Applied(id, Outcome.CREATED);
        }
        Xref xref = existing.get(0);
        if (xref.changedAt() != null && src.changedAt() != null && !src.changedAt().isAfter(xref.changedAt())) {
            return new Applied(xref.crmId(), Outcome.STALE);
        }
        p.addValue("id", xref.crmId());
        int changed = jdbc.update(updateSql, p);
        jdbc.update("""
                update xref set source_changed_at = :changedAt, updated_at = now()
                where entity_type = 'ACCOUNT' and system = :system and external_id = :externalId""", p);
        if (changed == 0) {
            return new Applied(xref.crmId(), Outcome.UNCHANGED);
        }
        outbox(xref.crmId(), "ACCOUNT_UPDATED", system, account);
        return new Applied(xref.crmId(), Outcome.UPDATED);
    }

    private void outbox(UUID id, String type, String origin, Account account) {
        try {
            jdbc.update("""
                    insert into outbox_event (aggregate_type, aggregate_id, event_type, origin, payload)
                    values ('ACCOUNT', :id, :type, :origin, cast(:payload as jsonb))""",
                    new MapSqlParameterSource().addValue("id", id).addValue("type", type).addValue("origin", origin)
                            .addValue("payload", json.writeValueAsString(account)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize account event", e);
        }
    }

    private static MapSqlParameterSource params(Account a) {
        return new MapSqlParameterSource()
                .addValue("name", a.name()).addValue("street", a.street()).addValue("postalCode", a.postalCode())
                .addValue("city", a.city()).addValue("country", a.country()).addValue("phone", a.phone())
                .addValue("email", a.email()).addValue("website", a.website()).addValue("creditTerms", a.creditTerms())
                .addValue("status", a.status()).addValue("customerSince", a.customerSince());
    }

    private static Instant toInstant(Timestamp ts) {
        return ts == null ? null : ts.toInstant();
    }

    private record Xref(UUID crmId, Instant changedAt) {
    }
}
