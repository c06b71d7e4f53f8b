package io.crmhub.connectors.store;

import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Repository;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.UUID;

/**
 * Leases that let exactly one hub instance poll a given source: an instance polls only while it
 * holds the source's unexpired lease, and renews it at every poll. When the holder dies, another
 * instance takes over once the lease expires.
 */
@Repository
public class PollerLeases {

    private final NamedParameterJdbcTemplate jdbc;
    private final String owner;

    public PollerLeases(NamedParameterJdbcTemplate crmJdbc) {
        this.jdbc = crmJdbc;
        this.owner = ManagementFactory.getRuntimeMXBean().getName() + "/" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** This instance's name in the lease table. */
    public String owner() {
        return owner;
    }

    /** Takes or renews the lease on {@code source} for {@code ttl}; false when another instance holds it. */
    public boolean acquire(String source, Duration ttl) {
        return jdbc.update("""
                insert into poller_lease (source, owner, expires_at) values (:source, :owner, now() + :ttl * interval '1 millisecond')
                on conflict (source) do update set owner = excluded.owner, expires_at = excluded.expires_at
                where poller_lease.owner = excluded.owner or poller_lease.expires_at < now()""",
                new MapSqlParameterSource("source", source).addValue("owner", owner).addValue("ttl", ttl.toMillis())) == 1;
    }

    /** Gives the lease up (at shutdown), so another instance need not wait for it to expire. */
    public void release(String source) {
        jdbc.update("delete from poller_lease where source = :source and owner = :owner",
                new MapSqlParameterSource("source", source).addValue("owner", owner));
    }
}
