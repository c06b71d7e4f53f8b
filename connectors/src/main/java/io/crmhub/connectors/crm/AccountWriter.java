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
        UNCHANGED,
        /** At least one field went to the review list (see {@code sync_conflict}); the others were applied. */
        CONFLICT
    }

    /** The CRM account concerned (null for a duplicate) and what happened to it. */
    public record Applied(UUID accountId, Outcome outcome) {
    }

    private final NamedParameterJdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final ProcessedMessages processed;
    private final ObjectMapper json;

    private final java.util.Set<String> crmOwned;
    private final java.util.Set<String> sourceOwned;
    private final java.time.Duration skewTolerance;

    /**
     * @param crmOwned      fields the CRM owns: set when a source creates the account, never overwritten after
     * @param sourceOwned   fields the source owns: a source change always wins
     * @param skewTolerance how close a source change and a CRM edit of the same field may be before
     *                      neither is trusted to be the later one: the field then goes to review
     */
    public AccountWriter(NamedParameterJdbcTemplate crmJdbc, TransactionTemplate crmTransactions,
                         ProcessedMessages processed, ObjectMapper json, java.util.Set<String> crmOwned,
                         java.util.Set<String> sourceOwned, java.time.Duration skewTolerance) {
        this.jdbc = crmJdbc;
        this.tx = crmTransactions;
        this.processed = processed;
        this.json = json;
        crmOwned.forEach(AccountColumns::column);
        sourceOwned.forEach(AccountColumns::column);
        this.crmOwned = java.util.Set.copyOf(crmOwned);
        this.sourceOwned = java.util.Set.copyOf(sourceOwned);
        this.skewTolerance = skewTolerance;
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
        java.util.Map<String, String> current = currentValues(xref.crmId());
        java.util.List<String> differing = new java.util.ArrayList<>();
        for (String field : AccountColumns.BY_FIELD.keySet()) {
            String incoming = text(p.getValue(field));
            if (!crmOwned.contains(field) && !java.util.Objects.equals(incoming, current.get(field))
                    && !("status".equals(field) && incoming == null)) {
                differing.add(field);
            }
        }
        // The CRM's edit times matter only for fields that differ; an echo has none and costs no look-up.
        java.util.Map<String, java.time.Instant> edits = differing.isEmpty() ? java.util.Map.of() : fieldEdits(xref.crmId());
        java.util.List<String> write = new java.util.ArrayList<>();
        int conflicts = 0;
        for (String field : differing) {
            String incoming = text(p.getValue(field));
            java.time.Instant edited = edits.get(field);
            if (sourceOwned.contains(field) || edited == null || src.changedAt() == null
                    || src.changedAt().isAfter(edited.plus(skewTolerance))) {
                write.add(field);
            } else if (edited.isAfter(src.changedAt().plus(skewTolerance))) {
                // The CRM's edit is the later one: it stands, and travels to the source through the outbox.
                continue;
            } else {
                conflict(xref.crmId(), field, current.get(field), edited, system, incoming, src.changedAt());
                conflicts++;
            }
        }
        jdbc.update("""
                update xref set source_changed_at = :changedAt, updated_at = now()
                where entity_type = 'ACCOUNT' and system = :system and external_id = :externalId""", p);
        if (write.isEmpty()) {
            // The echo of the hub's own write to the source ends here: same values, no version, no event.
            return new Applied(xref.crmId(), conflicts > 0 ? Outcome.CONFLICT : Outcome.UNCHANGED);
        }
        java.util.StringJoiner set = new java.util.StringJoiner(", ");
        write.forEach(f -> set.add(AccountColumns.column(f) + " = cast(:" + f + " as " + AccountColumns.sqlType(f) + ")"));
        jdbc.update("update account set " + set + ", updated_at = now(), version = version + 1 where id = :id", p);
        outbox(xref.crmId(), "ACCOUNT_UPDATED", system, account);
        return new Applied(xref.crmId(), conflicts > 0 ? Outcome.CONFLICT : Outcome.UPDATED);
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

    private java.util.Map<String, String> currentValues(UUID id) {
        java.util.Map<String, Object> row = jdbc.queryForMap(
                "select " + AccountColumns.CANONICAL_SELECT + " from account where id = :id for update",
                new MapSqlParameterSource("id", id));
        java.util.Map<String, String> m = new java.util.HashMap<>();
        row.forEach((k, v) -> m.put(k, text(v)));
        return m;
    }

    private java.util.Map<String, Instant> fieldEdits(UUID id) {
        java.util.Map<String, Instant> m = new java.util.HashMap<>();
        jdbc.query("select field, edited_at from field_edit where entity_type = 'ACCOUNT' and crm_id = :id",
                new MapSqlParameterSource("id", id), rs -> {
                    m.put(rs.getString(1), rs.getTimestamp(2).toInstant());
                });
        return m;
    }

    private void conflict(UUID id, String field, String crmValue, Instant crmEditedAt, String source, String sourceValue,
                          Instant sourceChangedAt) {
        jdbc.update("""
                insert into sync_conflict (entity_type, crm_id, field, crm_value, crm_edited_at, source, source_value, source_changed_at)
                values ('ACCOUNT', :id, :field, :crmValue, :crmEditedAt, :source, :sourceValue, :sourceChangedAt)""",
                new MapSqlParameterSource("id", id).addValue("field", field).addValue("crmValue", crmValue)
                        .addValue("crmEditedAt", Timestamp.from(crmEditedAt)).addValue("source", source)
                        .addValue("sourceValue", sourceValue).addValue("sourceChangedAt", Timestamp.from(sourceChangedAt)));
    }

    private static String text(Object v) {
        if (v == null) {
            return null;
        }
        String s = v.toString().strip();
        return s.isEmpty() ? null : s;
    }

    private static Instant toInstant(Timestamp ts) {
        return ts == null ? null : ts.toInstant();
    }

    private record Xref(UUID crmId, Instant changedAt) {
    }
}
