package io.crmhub.connectors.crm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Repository;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

/**
 * Reads the transactional outbox for publishing. Call both methods inside one transaction that
 * also covers the publishing: claimed rows stay locked, and a failed publish leaves them
 * unpublished. One relay at a time across hub instances (a transaction-scoped advisory lock):
 * events leave in the order their changes committed, so a consumer never gets a record's older
 * change after its newer one. Two relays taking disjoint batches side by side could publish
 * them the other way round, and the ERP would keep the older values.
 */
@Repository
public class OutboxRelay {

    private final NamedParameterJdbcTemplate jdbc;
    private final ObjectMapper json;

    public OutboxRelay(NamedParameterJdbcTemplate crmJdbc, ObjectMapper json) {
        this.jdbc = crmJdbc;
        this.json = json;
    }

    /** The relay's advisory lock: one key for the whole store. */
    static final long RELAY_LOCK = 0x63726d5f72656c61L;

    /**
     * Locks and returns up to {@code max} unpublished events, oldest first; none while another
     * hub's relay holds its batch (it goes on with the next one when that one is done).
     */
    public List<OutboxEvent> claimBatch(int max) {
        Boolean ours = jdbc.getJdbcTemplate().queryForObject("select pg_try_advisory_xact_lock(?)", Boolean.class, RELAY_LOCK);
        if (!Boolean.TRUE.equals(ours)) {
            return List.of();
        }
        return jdbc.query("""
                select id, aggregate_type, aggregate_id, event_type, origin, payload::text, created_at
                from outbox_event where published_at is null
                order by id limit :max for update skip locked""", new MapSqlParameterSource("max", max),
                (rs, i) -> {
                    try {
                        return new OutboxEvent(rs.getLong(1), rs.getString(2), rs.getObject(3, UUID.class), rs.getString(4),
                                rs.getString(5), json.readTree(rs.getString(6)), rs.getObject(7, OffsetDateTime.class));
                    } catch (JsonProcessingException e) {
                        throw new IllegalStateException("unreadable outbox event " + rs.getLong(1), e);
                    }
                });
    }

    public void markPublished(List<OutboxEvent> events) {
        if (!events.isEmpty()) {
            jdbc.getJdbcTemplate().update("update outbox_event set published_at = now() where id = any(cast(? as bigint[]))",
                    (Object) events.stream().map(OutboxEvent::id).toArray(Long[]::new));
        }
    }
}
