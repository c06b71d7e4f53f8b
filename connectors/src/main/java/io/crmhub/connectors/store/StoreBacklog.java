package io.crmhub.connectors.store;

import org.springframework.jdbc.core.JdbcTemplate;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What waits in the CRM store, for the hub or for a person, read in one query over partial
 * indexes: outbox events not yet published (and how old the oldest is), open quarantine records,
 * records waiting for their parent, open conflicts and possible duplicates per entity, and which
 * sources have a live poller lease. The same for every hub on the store.
 */
public class StoreBacklog {

    /** A count kept per entity type (or, for pollers, per source). */
    public enum Kind {
        QUARANTINE, WAITING, CONFLICT, DUPLICATE, POLLER
    }

    /**
     * @param outboxPending       outbox events not published yet
     * @param outboxOldestSeconds age of the oldest of them (0 when there is none)
     * @param counts              per kind, by entity type ({@link Kind#POLLER}: by source, 1 when a hub
     *                            holds its lease now, 0 when it ran out); a value not listed is 0
     */
    public record Snapshot(long outboxPending, double outboxOldestSeconds, Map<Kind, Map<String, Long>> counts) {

        public long count(Kind kind, String key) {
            return counts.getOrDefault(kind, Map.of()).getOrDefault(key, 0L);
        }
    }

    private static final String SQL = """
            select 'OUTBOX' as kind, null as k, count(*)::float8 as n from outbox_event where published_at is null
            union all
            select 'OUTBOX_AGE', null, coalesce(extract(epoch from now() - (
                select created_at from outbox_event where published_at is null order by id limit 1)), 0)::float8
            union all
            select 'QUARANTINE', entity_type, count(*) from quarantine where status = 'OPEN' group by entity_type
            union all
            select 'WAITING', entity_type, count(*) from waiting_record group by entity_type
            union all
            select 'CONFLICT', entity_type, count(*) from sync_conflict where status = 'OPEN' group by entity_type
            union all
            select 'DUPLICATE', entity_type, count(*) from duplicate_candidate where status = 'OPEN' group by entity_type
            union all
            select 'POLLER', source, case when expires_at > now() then 1 else 0 end from poller_lease""";

    private final JdbcTemplate jdbc;

    public StoreBacklog(JdbcTemplate crmJdbc) {
        this.jdbc = crmJdbc;
    }

    public Snapshot read() {
        long[] outbox = new long[1];
        double[] oldest = new double[1];
        Map<Kind, Map<String, Long>> counts = new EnumMap<>(Kind.class);
        jdbc.query(SQL, rs -> {
            String kind = rs.getString(1);
            double n = rs.getDouble(3);
            switch (kind) {
                case "OUTBOX" -> outbox[0] = (long) n;
                case "OUTBOX_AGE" -> oldest[0] = n;
                default -> counts.computeIfAbsent(Kind.valueOf(kind), k -> new TreeMap<>()).put(rs.getString(2), (long) n);
            }
        });
        counts.replaceAll((k, v) -> Collections.unmodifiableMap(v));
        return new Snapshot(outbox[0], oldest[0], Collections.unmodifiableMap(counts));
    }
}
