package io.crmhub.connectors.store;

import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Repository;

import java.time.LocalDateTime;
import java.util.Map;

/**
 * Per-source polling positions: the last {@code (changed_at, key)} whose changes are safely
 * published. A position only ever moves forward.
 */
@Repository
public class Watermarks {

    /** A position in a source's change order. */
    public record Position(LocalDateTime changedAt, String key) {

        /** Before every change. */
        public static final Position START = new Position(LocalDateTime.of(1900, 1, 1, 0, 0), "");
    }

    private final NamedParameterJdbcTemplate jdbc;

    public Watermarks(NamedParameterJdbcTemplate crmJdbc) {
        this.jdbc = crmJdbc;
    }

    public Position get(String source) {
        return jdbc.query("select last_changed_at, last_key from watermark where source = :source",
                        Map.of("source", source),
                        (rs, i) -> new Position(rs.getTimestamp(1).toLocalDateTime(), rs.getString(2)))
                .stream().findFirst().orElse(Position.START);
    }

    /** Moves the source's position to {@code to}, unless it is already there or beyond. */
    public void advance(String source, Position to) {
        jdbc.update("""
                insert into watermark (source, last_changed_at, last_key) values (:source, :ts, :key)
                on conflict (source) do update set last_changed_at = excluded.last_changed_at,
                    last_key = excluded.last_key, updated_at = now()
                where (watermark.last_changed_at, watermark.last_key) < (excluded.last_changed_at, excluded.last_key)""",
                Map.of("source", source, "ts", to.changedAt(), "key", to.key()));
    }
}
