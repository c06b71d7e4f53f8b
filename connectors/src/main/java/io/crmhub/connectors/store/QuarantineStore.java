package io.crmhub.connectors.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.transformers.mapping.MappedRecord;
import io.crmhub.transformers.validation.Violation;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Repository;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;

/** Records rejected at the door, with every reason and the payload exactly as it arrived. */
@Repository
public class QuarantineStore {

    /** One quarantined record. */
    public record Entry(long id, String source, String entityType, String sourceId, List<Map<String, String>> reasons,
                        String payload, OffsetDateTime receivedAt, String status) {
    }

    private final NamedParameterJdbcTemplate jdbc;
    private final ObjectMapper json;

    public QuarantineStore(NamedParameterJdbcTemplate crmJdbc, ObjectMapper json) {
        this.jdbc = crmJdbc;
        this.json = json;
    }

    /**
     * Quarantines a record that failed mapping or validation, once per source version: a redelivery
     * of the same change finds it already there. Returns the quarantine id.
     */
    public long reject(MappedRecord rejected) {
        try {
            return add(rejected.source().versionKey(), rejected.source().system(),
                    rejected.source().entity(), rejected.source().externalId(),
                    rejected.violations(), json.writeValueAsString(rejected.source()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize quarantined record", e);
        }
    }

    /**
     * Quarantines a payload with its reasons.
     *
     * @param messageKey identifies the delivery; a second call with the same key adds nothing. May be null.
     */
    public long add(String messageKey, String source, String entityType, String sourceId, List<Violation> reasons,
                    String payload) {
        if (reasons.isEmpty()) {
            throw new IllegalArgumentException("a quarantined record needs at least one reason");
        }
        List<Map<String, String>> r = reasons.stream()
                .map(v -> Map.of("code", v.code().name(), "field", v.field(), "message", v.message()))
                .toList();
        try {
            MapSqlParameterSource p = new MapSqlParameterSource().addValue("key", messageKey).addValue("source", source)
                    .addValue("entity", entityType.toUpperCase(java.util.Locale.ROOT)).addValue("sourceId", sourceId)
                    .addValue("reasons", json.writeValueAsString(r)).addValue("payload", payload);
            List<Long> inserted = jdbc.queryForList("""
                    insert into quarantine (message_key, source, entity_type, source_id, reasons, payload)
                    values (:key, :source, :entity, :sourceId, cast(:reasons as jsonb), :payload)
                    on conflict (message_key) do nothing returning id""", p, Long.class);
            if (!inserted.isEmpty()) {
                return inserted.get(0);
            }
            return jdbc.queryForObject("select id from quarantine where message_key = :key", p, Long.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize reasons", e);
        }
    }

    public List<Entry> list(String status, String source, int limit, int offset) {
        return jdbc.query("""
                        select id, source, entity_type, source_id, reasons::text, payload, received_at, status
                        from quarantine
                        where (cast(:status as text) is null or status = :status)
                          and (cast(:source as text) is null or source = :source)
                        order by id desc limit :limit offset :offset""",
                new MapSqlParameterSource().addValue("status", status).addValue("source", source)
                        .addValue("limit", limit).addValue("offset", offset),
                (rs, i) -> new Entry(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        readReasons(rs.getString(5)), rs.getString(6), rs.getObject(7, OffsetDateTime.class), rs.getString(8)));
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, String>> readReasons(String text) {
        try {
            return json.readValue(text, List.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("unreadable quarantine reasons: " + text, e);
        }
    }
}
