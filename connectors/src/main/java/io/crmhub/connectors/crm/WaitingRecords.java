package io.crmhub.connectors.crm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.transformers.model.SourceRecord;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * Records waiting for their parent (table {@code waiting_record}). Parking is idempotent per
 * version; claiming locks rows ({@code FOR UPDATE SKIP LOCKED}), so hub instances retrying at the
 * same time take disjoint rows. Call the claim methods inside the transaction that applies the rows.
 */
@Repository
public class WaitingRecords {

    /** A waiting record: what it is, whom it waits for, since when. */
    public record Waiting(SourceRecord record, String parentType, String parentExternalId, OffsetDateTime since) {
    }

    private final JdbcTemplate jdbc;
    private final ObjectMapper json;

    public WaitingRecords(org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate crmJdbc, ObjectMapper json) {
        this.jdbc = crmJdbc.getJdbcTemplate();
        this.json = json;
    }

    /** Keeps a record until the parent it points to is in the CRM; a second park of the same version adds nothing. */
    public void park(SourceRecord record, String parentEntity, String parentExternalId) {
        try {
            jdbc.update("""
                    insert into waiting_record (message_key, entity_type, system, external_id, parent_type, parent_external_id, payload)
                    values (?, ?, ?, ?, ?, ?, cast(? as jsonb)) on conflict (message_key) do nothing""",
                    record.versionKey(), record.entity().toUpperCase(Locale.ROOT), record.system().toUpperCase(Locale.ROOT),
                    record.externalId(), parentEntity.toUpperCase(Locale.ROOT), parentExternalId, json.writeValueAsString(record));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize waiting record", e);
        }
    }

    /** Locks and returns up to {@code max} records of the entity whose parent has arrived, oldest first. */
    public List<Waiting> claimReady(String entity, int max) {
        return jdbc.query("""
                select w.payload::text, w.parent_type, w.parent_external_id, w.first_seen_at from waiting_record w
                where w.entity_type = ? and exists (select 1 from xref x where x.entity_type = w.parent_type
                      and x.system = w.system and x.external_id = w.parent_external_id)
                order by w.first_seen_at limit ? for update of w skip locked""",
                this::waiting,
                entity.toUpperCase(Locale.ROOT), max);
    }

    /** Locks and returns up to {@code max} records of the entity that have waited since before {@code before}. */
    public List<Waiting> claimExpired(String entity, Instant before, int max) {
        return jdbc.query("""
                select payload::text, parent_type, parent_external_id, first_seen_at from waiting_record
                where entity_type = ? and first_seen_at < ? order by first_seen_at limit ? for update skip locked""",
                this::waiting,
                entity.toUpperCase(Locale.ROOT), Timestamp.from(before), max);
    }

    /** Everything waiting, oldest first, for operators. */
    public List<Waiting> list(int limit, int offset) {
        return jdbc.query("""
                select payload::text, parent_type, parent_external_id, first_seen_at from waiting_record
                order by first_seen_at, message_key limit ? offset ?""",
                this::waiting,
                limit, offset);
    }

    public void remove(Collection<SourceRecord> records) {
        if (!records.isEmpty()) {
            jdbc.update("delete from waiting_record where message_key = any(?)",
                    (Object) records.stream().map(SourceRecord::versionKey).toArray(String[]::new));
        }
    }

    /** Maps a row of (payload, parent type, parent key, first seen). */
    private Waiting waiting(java.sql.ResultSet rs, int row) throws java.sql.SQLException {
        String payload = rs.getString(1);
        try {
            return new Waiting(json.readValue(payload, SourceRecord.class), rs.getString(2), rs.getString(3),
                    rs.getObject(4, OffsetDateTime.class));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("unreadable waiting record: " + payload, e);
        }
    }
}
