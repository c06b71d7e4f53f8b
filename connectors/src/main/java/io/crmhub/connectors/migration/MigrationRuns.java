package io.crmhub.connectors.migration;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.transformers.legacy.RejectedRowsCsv;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;

import java.io.IOException;
import java.io.Writer;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The migration runs in the CRM store ({@code migration_run}, {@code migration_rejected}): who runs
 * which job, how far it has come, what it refused, and its report. A run is owned by one execution
 * (a node and a token of its own, so that a node taking over its own run fences its older thread
 * too) through a lease it renews with every batch; a run whose lease ran out (its node died) is taken
 * over by another.
 */
public class MigrationRuns {

    /** A run as operators see it. */
    public record Run(UUID id, String job, boolean dryRun, String trigger, String status, String reason,
                      OffsetDateTime startedAt, OffsetDateTime finishedAt, int resumed, MigrationProgress progress,
                      @com.fasterxml.jackson.annotation.JsonIgnore String owner) {
    }

    /** A refused record, or one whose parent is missing (one row per reason). */
    public record Rejected(String step, String kind, String sourceId, long line, String field, String reason, String value,
                           String payload) {
    }

    private final JdbcTemplate jdbc;
    private final ObjectMapper json;
    private final String node;

    public MigrationRuns(JdbcTemplate crmJdbc, ObjectMapper json, String node) {
        this.jdbc = crmJdbc;
        this.json = json;
        this.node = node;
    }

    /**
     * Starts a run of the job, owned by this node; empty when the job is already running (on any
     * node) or, for a scheduled run, when another node already started the run of that time.
     */
    public Optional<UUID> begin(MigrationJob job, boolean dryRun, String trigger, Instant scheduledFor, Duration lease) {
        UUID id = UUID.randomUUID();
        String owner = owner();
        try {
            int n = jdbc.update("""
                    insert into migration_run (id, job, dry_run, trigger, scheduled_for, status, owner_node, lease_until, progress)
                    values (?, ?, ?, ?, ?, 'RUNNING', ?, now() + ? * interval '1 millisecond', cast(? as jsonb))
                    on conflict (job, scheduled_for) do nothing""",
                    id, job.name(), dryRun, trigger, scheduledFor == null ? null : Timestamp.from(scheduledFor), owner,
                    lease.toMillis(), write(MigrationProgress.start(job)));
            return n == 1 ? Optional.of(id) : Optional.empty();
        } catch (DuplicateKeyException running) {
            return Optional.empty();
        }
    }

    /** Takes over runs (of one job, or of any when null) whose node died (lease run out); returns them. */
    public List<Run> takeOverAbandoned(String job, Duration lease) {
        return jdbc.query("""
                update migration_run set owner_node = ?, lease_until = now() + ? * interval '1 millisecond', resumed = resumed + 1
                where id in (select id from migration_run where status = 'RUNNING' and lease_until < now()
                             and (cast(? as text) is null or job = ?) for update skip locked)
                returning""" + " " + COLUMNS, this::run, owner(), lease.toMillis(), job, job);
    }

    /** A new owner token: this node, and this execution. */
    private String owner() {
        return node + "#" + UUID.randomUUID().toString().substring(0, 8);
    }

    /**
     * Records a batch's progress and renews the lease, in the caller's transaction; false when
     * this node no longer owns the run (its lease ran out and another took it over): the caller
     * must then roll back.
     */
    public boolean saveProgress(Run run, MigrationProgress progress, Duration lease) {
        return jdbc.update("""
                update migration_run set progress = cast(? as jsonb), lease_until = now() + ? * interval '1 millisecond'
                where id = ? and owner_node = ? and status = 'RUNNING'""", write(progress), lease.toMillis(), run.id(), run.owner()) == 1;
    }

    public void reject(UUID run, List<Rejected> rows) {
        if (rows.isEmpty()) {
            return;
        }
        jdbc.batchUpdate("""
                insert into migration_rejected (run_id, step, kind, source_id, line, field, reason, value, payload)
                values (?, ?, ?, ?, ?, ?, ?, ?, cast(? as jsonb))""", rows, 500, (ps, r) -> {
                    ps.setObject(1, run);
                    ps.setString(2, r.step());
                    ps.setString(3, r.kind());
                    ps.setString(4, r.sourceId());
                    ps.setLong(5, r.line());
                    ps.setString(6, r.field());
                    ps.setString(7, r.reason());
                    ps.setString(8, r.value());
                    ps.setString(9, r.payload());
                });
    }

    /** Ends a run with its report; false when another execution owns it now. */
    public boolean finish(Run run, String status, String reason, MigrationProgress progress, Object report) {
        return jdbc.update("""
                update migration_run set status = ?, reason = ?, progress = cast(? as jsonb), report = cast(? as jsonb),
                  finished_at = now(), lease_until = null
                where id = ? and owner_node = ? and status = 'RUNNING'""",
                status, reason, write(progress), write(report), run.id(), run.owner()) == 1;
    }

    public Optional<Run> find(UUID id) {
        return jdbc.query("select " + COLUMNS + " from migration_run where id = ?", this::run, id).stream().findFirst();
    }

    public List<Run> recent(String job, int limit) {
        return jdbc.query("select " + COLUMNS + " from migration_run where (cast(? as text) is null or job = ?) "
                + "order by started_at desc limit ?", this::run, job, job, limit);
    }

    /** The stored report (JSON), once the run ended. */
    public Optional<String> report(UUID id) {
        return jdbc.queryForList("select report::text from migration_run where id = ? and report is not null", String.class, id)
                .stream().findFirst();
    }

    /** How many rows of each refusal reason (code and field) a step had, most frequent first. */
    public record ReasonCount(String step, String field, String code, long rows) {
    }

    public List<ReasonCount> reasonCounts(UUID run) {
        return jdbc.query("""
                select step, field, split_part(reason, ':', 1) code, count(*) from migration_rejected where run_id = ?
                group by 1, 2, 3 order by 4 desc, 1, 2, 3 limit 50""",
                (rs, i) -> new ReasonCount(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4)), run);
    }

    public List<Rejected> rejected(UUID run, String kind, int limit) {
        return jdbc.query("""
                select step, kind, source_id, line, field, reason, value, payload::text from migration_rejected
                where run_id = ? and kind = ? order by seq limit ?""", (rs, i) -> new Rejected(rs.getString(1), rs.getString(2),
                rs.getString(3), rs.getLong(4), rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8)), run, kind, limit);
    }

    /** Writes the run's refused and parentless records as CSV, streaming (formula-leading cells escaped). */
    public void writeRejectedCsv(UUID run, Writer out) throws IOException {
        try (RejectedRowsCsv csv = new RejectedRowsCsv(out)) {
            jdbc.query(con -> {
                var ps = con.prepareStatement("""
                        select step, source_id, line, field, reason, value from migration_rejected
                        where run_id = ? order by seq""");
                ps.setObject(1, run);
                ps.setFetchSize(1000);
                return ps;
            }, rs -> {
                // the reason starts with its code: REQUIRED, INVALID_FORMAT, ... or MISSING_PARENT
                csv.reject(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getString(4), rs.getString(5), rs.getString(6));
            });
        }
    }

    private static final String COLUMNS = "id, job, dry_run, trigger, status, reason, started_at, finished_at, resumed, progress::text, owner_node";

    private Run run(ResultSet rs, int i) throws SQLException {
        try {
            return new Run(rs.getObject(1, UUID.class), rs.getString(2), rs.getBoolean(3), rs.getString(4), rs.getString(5),
                    rs.getString(6), rs.getObject(7, OffsetDateTime.class), rs.getObject(8, OffsetDateTime.class), rs.getInt(9),
                    json.readValue(rs.getString(10), MigrationProgress.class), rs.getString(11));
        } catch (JsonProcessingException e) {
            throw new SQLException("unreadable progress of migration run " + rs.getString(1), e);
        }
    }

    private String write(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + value.getClass().getSimpleName(), e);
        }
    }
}
