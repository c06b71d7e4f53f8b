package io.crmhub.connectors.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/**
 * Removes what only the hub's own machinery needs and no longer needs: idempotency keys past
 * their retention and outbox events published long ago. Without it both tables grow with every
 * message for as long as the hub runs, and every key written goes into an ever larger index.
 * <p>
 * Rows go in chunks, each a short transaction of its own, so that a first purge of a large
 * backlog holds no lock for long and writers keep going. Several hubs may purge at once: rows
 * another hub is removing are skipped, not waited for.
 */
public class Housekeeping {

    private static final Logger LOG = LoggerFactory.getLogger(Housekeeping.class);

    /** What one purge removed. */
    public record Purged(long processedKeys, long outboxEvents) {
    }

    private final NamedParameterJdbcTemplate jdbc;
    private final HousekeepingProperties props;
    private final Clock clock;

    public Housekeeping(NamedParameterJdbcTemplate crmJdbc, HousekeepingProperties props, Clock clock) {
        this.jdbc = crmJdbc;
        this.props = props;
        this.clock = clock;
    }

    public Purged purge() {
        long keys = inChunks("""
                delete from processed_message where ctid = any(array(
                  select ctid from processed_message where processed_at < :before limit :chunk for update skip locked))""",
                props.processedKeyRetention());
        // an event is published after it was created: its age narrows the search to old pages
        long events = inChunks("""
                delete from outbox_event where id = any(array(
                  select id from outbox_event where created_at < :before and published_at < :before limit :chunk
                  for update skip locked))""",
                props.outboxRetention());
        if (keys + events > 0) {
            LOG.info("Housekeeping: {} idempotency keys older than {} and {} outbox events published more than {} ago removed",
                    keys, props.processedKeyRetention(), events, props.outboxRetention());
        }
        return new Purged(keys, events);
    }

    private long inChunks(String delete, Duration retention) {
        Timestamp before = Timestamp.from(clock.instant().minus(retention));
        long total = 0;
        int removed;
        do {
            removed = jdbc.update(delete, Map.of("before", before, "chunk", props.chunk()));
            total += removed;
        } while (removed == props.chunk() && !Thread.currentThread().isInterrupted());
        return total;
    }
}
