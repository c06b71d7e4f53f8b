package io.crmhub.connectors.crm;

import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.UUID;

/**
 * The review list: fields both sides changed within the clock-skew tolerance. Resolving one
 * writes the chosen value as a CRM edit, so that the outbox carries it to the other systems and
 * every side ends with the same value.
 */
@Repository
public class SyncConflicts {

    /** One field under review. */
    public record Conflict(long id, String entityType, UUID crmId, String field, String crmValue,
                           OffsetDateTime crmEditedAt, String source, String sourceValue, OffsetDateTime sourceChangedAt,
                           OffsetDateTime detectedAt, String status, String resolution, String resolvedBy) {
    }

    /** Which value a resolution keeps. */
    public enum Keep { CRM, SOURCE }

    private final NamedParameterJdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final CrmAccountEdits edits;

    public SyncConflicts(NamedParameterJdbcTemplate crmJdbc, TransactionTemplate crmTransactions, CrmAccountEdits edits) {
        this.jdbc = crmJdbc;
        this.tx = crmTransactions;
        this.edits = edits;
    }

    public List<Conflict> list(String status, int limit) {
        return jdbc.query("""
                select * from sync_conflict where (cast(:status as text) is null or status = :status)
                order by id desc limit :limit""",
                new MapSqlParameterSource("status", status).addValue("limit", limit),
                (rs, i) -> new Conflict(rs.getLong("id"), rs.getString("entity_type"), rs.getObject("crm_id", UUID.class),
                        rs.getString("field"), rs.getString("crm_value"), rs.getObject("crm_edited_at", OffsetDateTime.class),
                        rs.getString("source"), rs.getString("source_value"), rs.getObject("source_changed_at", OffsetDateTime.class),
                        rs.getObject("detected_at", OffsetDateTime.class), rs.getString("status"), rs.getString("resolution"),
                        rs.getString("resolved_by")));
    }

    /**
     * Keeps one side's value of an open conflict and spreads it to every system.
     *
     * @throws NoSuchElementException when there is no such open conflict
     */
    public void resolve(long id, Keep keep, String operator) {
        tx.executeWithoutResult(status -> {
            List<Conflict> open = jdbc.query("select * from sync_conflict where id = :id and status = 'OPEN' for update",
                    new MapSqlParameterSource("id", id),
                    (rs, i) -> new Conflict(rs.getLong("id"), rs.getString("entity_type"), rs.getObject("crm_id", UUID.class),
                            rs.getString("field"), rs.getString("crm_value"), null, rs.getString("source"),
                            rs.getString("source_value"), null, null, "OPEN", null, null));
            if (open.isEmpty()) {
                throw new NoSuchElementException("no open conflict " + id);
            }
            Conflict c = open.get(0);
            String value = keep == Keep.CRM ? c.crmValue() : c.sourceValue();
            java.util.Map<String, Object> change = new java.util.HashMap<>();
            change.put(c.field(), value);
            edits.update(c.crmId(), change);
            jdbc.update("""
                    update sync_conflict set status = 'RESOLVED', resolution = :keep, resolved_by = :operator, resolved_at = now()
                    where id = :id""", Map.of("id", id, "keep", keep.name(), "operator", operator));
        });
    }
}
