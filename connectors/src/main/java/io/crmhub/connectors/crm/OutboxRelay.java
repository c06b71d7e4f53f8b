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
 * also covers the publishing: claimed rows stay locked ({@code FOR UPDATE SKIP LOCKED}), so
 * several hub instances relay disjoint batches, and a failed publish leaves them unpublished.
 */
@Repository
public class OutboxRelay {

    private final NamedParameterJdbcTemplate jdbc;
    private final ObjectMapper json;

    public OutboxRelay(NamedParameterJdbcTemplate crmJdbc, ObjectMapper json) {
        this.jdbc = crmJdbc;
        this.json = json;
    }

    /** Locks and returns up to {@code max} unpublished events, oldest first. */
    public List<OutboxEvent> claimBatch(int max) {
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
            jdbc.update("update outbox_event set published_at = now() where id in (:ids)",
                    new MapSqlParameterSource("ids", events.stream().map(OutboxEvent::id).toList()));
        }
    }
}
