package io.crmhub.connectors.erp;

import io.crmhub.connectors.store.PollerLeases;
import io.crmhub.connectors.store.Watermarks;
import io.crmhub.connectors.store.Watermarks.Position;
import io.crmhub.transformers.mapping.EntityMapping;
import io.crmhub.transformers.mapping.JoinSpec;
import io.crmhub.transformers.mapping.LineMapping;
import io.crmhub.transformers.model.SourceRecord;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;

import javax.sql.DataSource;
import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.List;
import java.util.Map;

/**
 * Reads one ERP table's changes in {@code (last-change, key)} order after the persisted watermark,
 * a page at a time. Keyset paging makes it safe for many rows with the same one-second timestamp:
 * a page boundary inside a tie resumes after the last key read, not after the timestamp.
 * <p>
 * The first page of a poll also looks behind the watermark, inside the overlap window, for rows an
 * ERP transaction committed late: the window's rows are checked by key and timestamp only (its
 * {@value #WINDOW_ROWS} newest), and only the versions neither this reader published nor the CRM
 * has are read in full and published. Versions found settled are remembered, so that a window
 * that stays put (an ERP quiet after a mass update) costs the CRM no look-ups poll after poll.
 * One poller thread uses a reader.
 */
public class ErpChangeReader {

    /**
     * A page of changes and the position to commit once all of them are safely published.
     *
     * @param full the page came full: more changes may follow it right away
     */
    public record ChangeBatch(String source, List<SourceRecord> records, Position next, boolean full) {

        public boolean isEmpty() {
            return records.isEmpty();
        }
    }

    /** Versions this reader published or found in the CRM, remembered for the overlap check: at most this many. */
    static final int REMEMBERED = 100_000;
    /** Rows of the overlap window checked per poll, the newest first. */
    static final int WINDOW_ROWS = 100_000;
    /** Keys per look-up query (the ERP's IN list, the CRM's array). */
    private static final int CHUNK = 1_000;

    private final EntityMapping mapping;
    private final NamedParameterJdbcTemplate erp;
    private final Watermarks watermarks;
    private final PollerLeases leases;
    private final Duration leaseTtl;
    private final Duration overlap;
    private final NamedParameterJdbcTemplate crm;
    private final String watermarkName;
    private final String pageSql;
    private final String settledPageSql;
    private Duration settle = Duration.ZERO;
    private String clockQuery;
    /** The latest stamp a poll reads (its ERP clock less {@code settle}), read once per poll. */
    private Timestamp until;
    private final NamedParameterJdbcTemplate erpUnlimited;
    private final NamedParameterJdbcTemplate erpWindow;
    private java.time.Instant windowWarned = java.time.Instant.EPOCH;
    private final String linesSql;
    private final String windowSql;
    private final String byKeySql;
    private final String pendingSql;
    private final int pageSize;
    /** Version keys this reader published or found in the CRM, oldest first, with their change time. */
    private final LinkedHashMap<String, java.time.Instant> settled = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, java.time.Instant> eldest) {
            return size() > REMEMBERED;
        }
    };

    /**
     * @param leaseTtl how long this instance keeps the source after a poll; a poll interval or
     *                 more, so that the holder renews it before it lapses
     */
    public ErpChangeReader(EntityMapping mapping, DataSource erpDataSource, Watermarks watermarks, int pageSize,
                           PollerLeases leases, Duration leaseTtl) {
        this(mapping, erpDataSource, watermarks, pageSize, leases, leaseTtl, Duration.ZERO, null);
    }

    /**
     * @param overlap how far behind the watermark each poll looks again for rows committed late
     *                (a long ERP transaction stamps its rows when it starts, commits when it ends);
     *                such rows are published unless the CRM already has their version
     * @param crm     the CRM store, to tell which versions it already has
     */
    public ErpChangeReader(EntityMapping mapping, DataSource erpDataSource, Watermarks watermarks, int pageSize,
                           PollerLeases leases, Duration leaseTtl, Duration overlap, NamedParameterJdbcTemplate crm) {
        if (mapping.table() == null || mapping.changedAtColumn() == null) {
            throw new IllegalArgumentException("mapping " + mapping.source() + "/" + mapping.entity()
                    + " needs a table and a changed-at column to be polled");
        }
        this.mapping = mapping;
        JdbcTemplate jdbc = new JdbcTemplate(erpDataSource);
        jdbc.setMaxRows(pageSize);
        this.pageSize = pageSize;
        this.erp = new NamedParameterJdbcTemplate(jdbc);
        this.erpUnlimited = new NamedParameterJdbcTemplate(erpDataSource);
        JdbcTemplate window = new JdbcTemplate(erpDataSource);
        window.setMaxRows(WINDOW_ROWS);
        this.erpWindow = new NamedParameterJdbcTemplate(window);
        this.watermarks = watermarks;
        this.leases = leases;
        this.leaseTtl = leaseTtl;
        this.overlap = overlap;
        this.crm = crm;
        this.watermarkName = mapping.source() + "." + mapping.entity();
        // Identifiers come from the validated mapping; values are bound parameters.
        String ts = "t." + mapping.changedAtColumn();
        String key = "t." + mapping.keyColumn();
        String from = "SELECT t.*" + joinColumns(mapping) + " FROM " + mapping.table() + " t" + joinClause(mapping);
        String after = from + " WHERE (" + ts + " > :ts OR (" + ts + " = :ts AND " + key + " > :key))";
        String order = " ORDER BY " + ts + ", " + key;
        this.pageSql = after + order;
        this.settledPageSql = after + " AND " + ts + " <= :until" + order;
        this.windowSql = "SELECT " + key + ", " + ts + " FROM " + mapping.table() + " t"
                + " WHERE " + ts + " >= :from AND (" + ts + " < :ts OR (" + ts + " = :ts AND " + key + " <= :key))"
                + " ORDER BY " + ts + " DESC, " + key + " DESC";
        this.byKeySql = from + " WHERE " + key + " IN (:keys)" + order;
        // the same rows as the page query, as a range of the (last-change, key) index
        this.pendingSql = "SELECT COUNT(*) FROM " + mapping.table() + " t WHERE " + ts + " >= :ts AND (" + ts + " > :ts OR "
                + key + " > :key)";
        LineMapping lines = mapping.lines();
        this.linesSql = lines == null ? null : "SELECT * FROM " + lines.table() + " WHERE " + lines.parentKeyColumn()
                + " IN (:keys) ORDER BY " + lines.parentKeyColumn() + ", " + lines.orderByColumn();
    }

    private static String joinColumns(EntityMapping m) {
        return m.join() == null ? "" : m.join().columns().stream().map(c -> ", j." + c).reduce("", String::concat);
    }

    private static String joinClause(EntityMapping m) {
        JoinSpec j = m.join();
        return j == null ? "" : " LEFT JOIN " + j.table() + " j ON j." + j.key() + " = t." + j.key();
    }

    /**
     * Reads a row only once the ERP's clock is {@code settle} past its stamp. The stamp has one-second
     * granularity: a row committed twice within one second, and read in between, would keep the
     * first commit's values, since the second carries the same stamp (the same version). Read
     * after its second has ended, the row is read with the last commit's values. The clock is read
     * once per poll, on its first page.
     *
     * @param clockQuery reads the ERP's clock as a local timestamp, as the ERP stamps its rows
     */
    public ErpChangeReader settling(Duration settle, String clockQuery) {
        if (settle.isNegative()) {
            throw new IllegalArgumentException("settle must not be negative: " + settle);
        }
        this.settle = settle;
        this.clockQuery = clockQuery;
        return this;
    }

    private LocalDateTime erpClock() {
        Timestamp now = erpUnlimited.getJdbcTemplate().queryForObject(clockQuery, Timestamp.class);
        if (now == null) {
            throw new IllegalStateException("the ERP's clock query returned nothing: " + clockQuery);
        }
        return now.toLocalDateTime();
    }

    public String watermarkName() {
        return watermarkName;
    }

    /**
     * The next page of changes after the committed watermark, with the late rows of the overlap
     * window in front; empty when another hub instance holds this source's poller lease.
     */
    public ChangeBatch readNextBatch() {
        return readPage(0);
    }

    /**
     * The next page of changes after the committed watermark; empty when another hub instance
     * holds this source's poller lease.
     *
     * @param pageOfPoll 0 for a poll's first page, which also brings the late rows of the overlap
     *                   window; the pages after it in the same poll do not look behind again
     */
    public ChangeBatch readPage(int pageOfPoll) {
        Position from = watermarks.get(watermarkName);
        if (!leases.acquire(watermarkName, leaseTtl)) {
            return new ChangeBatch(watermarkName, List.of(), from, false);
        }
        MapSqlParameterSource p = new MapSqlParameterSource("ts", Timestamp.valueOf(from.changedAt())).addValue("key", from.key());
        if (!settle.isZero() && (pageOfPoll == 0 || until == null)) {
            until = Timestamp.valueOf(erpClock().minus(settle));
        }
        p.addValue("until", until);
        List<SourceRecord> rows = erp.query(settle.isZero() ? pageSql : settledPageSql, p, (rs, i) -> toRecord(rs));
        Position next = rows.isEmpty() ? from : positionOf(rows.get(rows.size() - 1));
        List<SourceRecord> all = new java.util.ArrayList<>(pageOfPoll == 0 ? lateRows(from, p) : List.of());
        all.addAll(rows);
        return new ChangeBatch(watermarkName, withLines(all), next, rows.size() >= pageSize);
    }

    /**
     * Rows changed after the committed watermark: what the poller has still to publish (whoever
     * holds the lease).
     */
    public long pending() {
        Position from = watermarks.get(watermarkName);
        Long n = erpUnlimited.queryForObject(pendingSql,
                new MapSqlParameterSource("ts", Timestamp.valueOf(from.changedAt())).addValue("key", from.key()), Long.class);
        return n == null ? 0 : n;
    }

    /** Attaches each record's detail rows, read in one query for the page. */
    private List<SourceRecord> withLines(List<SourceRecord> records) {
        if (linesSql == null || records.isEmpty()) {
            return records;
        }
        Map<String, List<Map<String, String>>> byParent = new java.util.HashMap<>();
        erpUnlimited.query(linesSql, new MapSqlParameterSource("keys", records.stream().map(SourceRecord::externalId).toList()),
                rs -> {
                    Map<String, String> line = columns(rs);
                    byParent.computeIfAbsent(line.get(mapping.lines().parentKeyColumn().toUpperCase(java.util.Locale.ROOT)).strip(),
                            k -> new java.util.ArrayList<>()).add(line);
                });
        return records.stream().map(r -> r.withLines(byParent.getOrDefault(r.externalId().strip(), List.of()))).toList();
    }

    /**
     * Rows behind the watermark, inside the overlap window, whose version neither this reader
     * published nor the CRM has (applied, quarantined or waiting for its parent). The window is
     * read by key and timestamp only, its newest rows first, at most {@value #WINDOW_ROWS}; the
     * late rows are then read in full.
     */
    private List<SourceRecord> lateRows(Position from, MapSqlParameterSource p) {
        if (overlap.isZero() || crm == null || from.equals(Position.START)) {
            return List.of();
        }
        p.addValue("from", Timestamp.valueOf(from.changedAt().minus(overlap)));
        forgetBefore(from.changedAt().minus(overlap).toInstant(ZoneOffset.UTC));
        Map<String, Row> unknown = new LinkedHashMap<>();
        int[] scanned = {0};
        erpWindow.query(windowSql, p, rs -> {
            scanned[0]++;
            String key = text(rs.getObject(1));
            java.time.Instant changedAt = rs.getTimestamp(2).toLocalDateTime().toInstant(ZoneOffset.UTC);
            String version = SourceRecord.versionKey(mapping.source(), mapping.entity(), key, changedAt);
            if (!settled.containsKey(version)) {
                unknown.put(version, new Row(key, changedAt));
            }
        });
        if (scanned[0] >= WINDOW_ROWS && windowWarned.isBefore(java.time.Instant.now().minusSeconds(600))) {
            windowWarned = java.time.Instant.now();
            LoggerFactory.getLogger(ErpChangeReader.class).warn("The overlap window of {} holds more than {} rows: only the"
                    + " newest {} are checked for late commits (a mass update; the window moves on with the next changes)",
                    watermarkName, WINDOW_ROWS, WINDOW_ROWS);
        }
        List<String> versions = List.copyOf(unknown.keySet());
        for (int i = 0; i < versions.size(); i += CHUNK) {
            crm.getJdbcTemplate().queryForList("""
                    select message_key from processed_message where message_key = any(?)
                    union all select message_key from quarantine where message_key = any(?)
                    union all select message_key from waiting_record where message_key = any(?)""", String.class,
                    chunk(versions, i), chunk(versions, i), chunk(versions, i)).forEach(known -> {
                        Row row = unknown.remove(known);
                        if (row != null) {
                            settled.put(known, row.changedAt());
                        }
                    });
        }
        if (unknown.isEmpty()) {
            return List.of();
        }
        List<String> keys = unknown.values().stream().map(Row::key).distinct().toList();
        List<SourceRecord> late = new java.util.ArrayList<>();
        for (int i = 0; i < keys.size(); i += CHUNK) {
            erpUnlimited.query(byKeySql, new MapSqlParameterSource("keys", keys.subList(i, Math.min(keys.size(), i + CHUNK))),
                    (rs, n) -> toRecord(rs)).stream()
                    // a row changed again since is past the watermark now: its page brings it
                    .filter(r -> unknown.containsKey(r.versionKey()))
                    .forEach(late::add);
        }
        return late;
    }

    private static String[] chunk(List<String> all, int from) {
        return all.subList(from, Math.min(all.size(), from + CHUNK)).toArray(String[]::new);
    }

    /** A row of the overlap window: its key and change time. */
    private record Row(String key, java.time.Instant changedAt) {
    }

    /** Forgets the settled versions that changed before the overlap window. */
    private void forgetBefore(java.time.Instant start) {
        var it = settled.values().iterator();
        while (it.hasNext() && it.next().isBefore(start)) {
            it.remove();
        }
    }

    /**
     * Lets another instance take this source over at once (called at shutdown). Best effort, for at
     * most 3 seconds: when the CRM store is gone already, the lease simply runs out.
     */
    public void releaseLease() {
        CompletableFuture<Void> release = CompletableFuture.runAsync(
                () -> leases.release(watermarkName));
        try {
            release.get(3, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            LoggerFactory.getLogger(ErpChangeReader.class).warn(
                    "Lease of {} not released ({}); it runs out by itself", watermarkName, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Moves the watermark past the batch; call only after every record in it is published. */
    public void commit(ChangeBatch batch) {
        if (!batch.isEmpty()) {
            watermarks.advance(batch.source(), batch.next());
            if (!overlap.isZero()) {
                batch.records().forEach(r -> settled.put(r.versionKey(), r.changedAt()));
            }
        }
    }

    private Position positionOf(SourceRecord r) {
        return new Position(LocalDateTime.ofInstant(r.changedAt(), ZoneOffset.UTC), r.columns().get(mapping.keyColumn()));
    }

    private static Map<String, String> columns(ResultSet rs) throws SQLException {
        ResultSetMetaData md = rs.getMetaData();
        Map<String, String> columns = new LinkedHashMap<>();
        for (int c = 1; c <= md.getColumnCount(); c++) {
            columns.put(md.getColumnLabel(c).toUpperCase(java.util.Locale.ROOT), text(rs.getObject(c)));
        }
        return columns;
    }

    private SourceRecord toRecord(ResultSet rs) throws SQLException {
        Map<String, String> columns = columns(rs);
        Timestamp changed = rs.getTimestamp(mapping.changedAtColumn());
        // ERP times are taken as UTC wall-clock: the watermark compares them as they are stored.
        return new SourceRecord(mapping.source(), mapping.entity(), columns.get(mapping.keyColumn()),
                changed.toLocalDateTime().toInstant(ZoneOffset.UTC), columns);
    }

    private static String text(Object v) {
        if (v == null) {
            return null;
        }
        if (v instanceof BigDecimal d) {
            return d.toPlainString();
        }
        if (v instanceof Timestamp t) {
            return t.toLocalDateTime().toString();
        }
        return v.toString();
    }
}
