package io.crmhub.embedded;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

/**
 * Where a benchmark's PostgreSQL time goes, statement by statement: with
 * {@code -Dbench.statements=true} the embedded server loads {@code pg_stat_statements} (see
 * {@link TestServices}), a benchmark {@link #reset}s it before the phase it measures and
 * {@link #print}s the statements that took most of the server's time after it. Statements a
 * trigger runs (the foreign-key checks) are counted on their own and inside the statement that
 * fired them.
 */
public final class PostgresStatements {

    private PostgresStatements() {
    }

    /** Whether the statement breakdown was asked for. */
    public static boolean enabled() {
        return Boolean.getBoolean("bench.statements");
    }

    /** The server settings the breakdown needs: none when it was not asked for. */
    public static Map<String, String> serverSettings() {
        return enabled() ? Map.of("shared_preload_libraries", "pg_stat_statements") : Map.of();
    }

    /** Forgets what the server counted so far (nothing when the breakdown was not asked for). */
    public static void reset(DataSource db) throws SQLException {
        if (!enabled()) {
            return;
        }
        try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
            s.execute("create extension if not exists pg_stat_statements");
            s.execute("select pg_stat_statements_reset()");
        }
    }

    /**
     * Prints the {@code top} statements by execution time since {@link #reset}: calls, rows, time,
     * share of all statements' time, and time per unit of the benchmark's work.
     *
     * @param units how many units of work (records, events) the phase did
     * @param unit  what one is, for the column heading
     */
    public static void print(DataSource db, String phase, int top, long units, String unit) throws SQLException {
        if (!enabled()) {
            return;
        }
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement("""
                select calls, rows, total_exec_time, total_exec_time / nullif(sum(total_exec_time) over (), 0),
                       left(regexp_replace(query, '\\s+', ' ', 'g'), 160)
                from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
                order by total_exec_time desc limit ?""")) {
            s.setInt(1, top);
            System.out.printf("BENCH PostgreSQL statements of %s, the %d that took longest (us per %s):%n", phase, top, unit);
            System.out.printf("BENCH   %10s %10s %9s %6s %8s  %s%n", "calls", "rows", "ms", "share", "us/" + unit, "statement");
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    System.out.printf("BENCH   %,10d %,10d %,9.0f %5.1f%% %8.1f  %s%n", rs.getLong(1), rs.getLong(2), rs.getDouble(3),
                            100 * rs.getDouble(4), rs.getDouble(3) * 1000 / units, rs.getString(5));
                }
            }
        }
    }
}
