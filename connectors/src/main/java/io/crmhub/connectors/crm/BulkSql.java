package io.crmhub.connectors.crm;

import org.postgresql.PGConnection;
import org.postgresql.PGStatement;
import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowCallbackHandler;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.StringJoiner;

/**
 * A batch of rows as one PostgreSQL statement, one round trip whatever the batch size, where a JDBC
 * batch costs a statement (or a multi-row statement of thousands of parameters to plan) per row or
 * per hundred rows.
 * <ul>
 *   <li>Inserts are {@code COPY ... FROM STDIN} in the caller's transaction: each value is parsed
 *   once, straight into its column's type, and no plan is made (an {@code insert ... select from
 *   unnest} parses every value into a text array first, then casts it).</li>
 *   <li>Updates travel as one text array per column that the statement unnests and joins.</li>
 * </ul>
 */
final class BulkSql {

    /**
     * A column: its name, the SQL type an update casts its text to (a COPY parses into the table's
     * own types), and the value a COPY writes when a row's is null (or null).
     */
    record Col(String name, String sqlType, String whenNull) {

        Col(String name, String sqlType) {
            this(name, sqlType, null);
        }

        String value() {
            return "cast(u." + name + " as " + sqlType + ")";
        }
    }

    private final String sql;
    private final int width;
    /** for a COPY: each column's value when a row's is null (or null) */
    private final String[] whenNull;

    private BulkSql(String sql, int width, String[] whenNull) {
        this.sql = sql;
        this.width = width;
        this.whenNull = whenNull;
    }

    /**
     * {@code COPY table (cols) FROM STDIN}; rows hold the values in column order, and a column's
     * {@link Col#whenNull} stands for a null value. The column types are the table's.
     */
    static BulkSql insert(String table, List<Col> cols) {
        StringJoiner names = new StringJoiner(", ");
        cols.forEach(c -> names.add(c.name()));
        return new BulkSql("COPY " + table + " (" + names + ") FROM STDIN", cols.size(),
                cols.stream().map(Col::whenNull).toArray(String[]::new));
    }

    /**
     * {@code update table set ... from unnest(...) where keys match}; rows hold the set columns'
     * values, then the keys'. {@code alsoSet} is appended to the set list as it is (may be empty).
     */
    static BulkSql update(String table, List<Col> set, String alsoSet, List<Col> keys) {
        StringJoiner assignments = new StringJoiner(", ");
        set.forEach(c -> assignments.add(c.name() + " = " + c.value()));
        if (!alsoSet.isEmpty()) {
            assignments.add(alsoSet);
        }
        StringJoiner where = new StringJoiner(" and ");
        keys.forEach(k -> where.add("t." + k.name() + " = " + k.value()));
        List<Col> all = new java.util.ArrayList<>(set);
        all.addAll(keys);
        // an update joins the table: planned per call, so that a plan made while the table was small never sticks
        return new BulkSql("update " + table + " t set " + assignments + " from " + unnest(all) + " where " + where, all.size(), null);
    }

    String sql() {
        return sql;
    }

    /** Runs the statement for all rows at once; nothing for no rows. Returns the rows affected. */
    int execute(JdbcTemplate jdbc, List<Object[]> rows) {
        if (rows.isEmpty()) {
            return 0;
        }
        if (whenNull != null) {
            return jdbc.execute((ConnectionCallback<Integer>) con -> copy(con, rows));
        }
        Object[] columns = new Object[width];
        for (int c = 0; c < width; c++) {
            String[] column = new String[rows.size()];
            for (int r = 0; r < rows.size(); r++) {
                column[r] = text(rows.get(r)[c]);
            }
            columns[c] = column;
        }
        return change(jdbc, sql, columns);
    }

    /** The rows in COPY's text format, through the connection of the caller's transaction. */
    private int copy(Connection con, List<Object[]> rows) throws SQLException {
        StringBuilder text = new StringBuilder(rows.size() * width * 16);
        for (Object[] row : rows) {
            for (int c = 0; c < width; c++) {
                if (c > 0) {
                    text.append('\t');
                }
                String value = text(row[c]);
                if (value == null) {
                    value = whenNull[c];
                }
                if (value == null) {
                    text.append("\\N");
                } else {
                    escape(value, text);
                }
            }
            text.append('\n');
        }
        try {
            return (int) con.unwrap(PGConnection.class).getCopyAPI().copyIn(sql,
                    new java.io.ByteArrayInputStream(text.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (java.io.IOException e) {
            throw new SQLException("COPY into the CRM store failed: " + e.getMessage(), e);
        }
    }

    /** A value in COPY's text format: backslash, and the tab, newline and carriage return that delimit, escaped. */
    private static void escape(String value, StringBuilder out) {
        int first = 0;
        while (first < value.length() && value.charAt(first) != '\\' && value.charAt(first) >= ' ') {
            first++;
        }
        if (first == value.length()) {
            out.append(value);
            return;
        }
        out.append(value, 0, first);
        for (int i = first; i < value.length(); i++) {
            char ch = value.charAt(i);
            switch (ch) {
                case '\\' -> out.append("\\\\");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                default -> out.append(ch);
            }
        }
    }

    /**
     * A look-up by an array of keys, planned for the keys it is given. A server-side prepared
     * statement would keep the generic plan it chose while the table was small (a sequential
     * scan), and keep it while the table grows to millions of rows during an initial load.
     */
    static void lookup(JdbcTemplate jdbc, String sql, RowCallbackHandler rows, Object... args) {
        jdbc.query(con -> plannedPerCall(con, sql, args), rows);
    }

    /** An insert, update or delete by an array of keys, planned for the keys it is given (see {@link #lookup}). */
    static int change(JdbcTemplate jdbc, String sql, Object... args) {
        return jdbc.update(con -> plannedPerCall(con, sql, args));
    }

    /** An unnamed statement: PostgreSQL plans it at each execution for the arguments it gets. */
    private static PreparedStatement plannedPerCall(java.sql.Connection con, String sql, Object[] args) throws java.sql.SQLException {
        PreparedStatement ps = con.prepareStatement(sql);
        if (ps.isWrapperFor(PGStatement.class)) {
            ps.unwrap(PGStatement.class).setPrepareThreshold(0);
        }
        for (int i = 0; i < args.length; i++) {
            ps.setObject(i + 1, args[i]);
        }
        return ps;
    }

    private static String unnest(List<Col> cols) {
        StringJoiner arrays = new StringJoiner(", ", "unnest(", ")");
        StringJoiner names = new StringJoiner(", ", " as u(", ")");
        cols.forEach(c -> {
            arrays.add("cast(? as text[])");
            names.add(c.name());
        });
        return arrays + names.toString();
    }

    private static String text(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof Timestamp t) {
            return timestamp(t);
        }
        if (value instanceof BigDecimal d) {
            return d.toPlainString();
        }
        return value.toString();
    }

    /**
     * An instant as PostgreSQL reads a {@code timestamptz}: {@code 2025-03-01T10:15:30.5Z}, in UTC,
     * the fraction as given (the server rounds it to microseconds). The same text as
     * {@link java.time.Instant#toString()} means, written without a formatter (which took 4 % of a
     * migration's JVM samples).
     */
    static String timestamp(Timestamp t) {
        Stamp last = lastStamp;
        if (last.millis() == t.getTime() && last.nanos() == t.getNanos()) {
            return last.text();
        }
        String text = format(t);
        lastStamp = new Stamp(t.getTime(), t.getNanos(), text);
        return text;
    }

    /**
     * The last instant written and its text: most rows of a batch carry the same one (a migration
     * writes its run's start as every record's version), and the date arithmetic took 8 % of a
     * migration writer's samples.
     */
    private record Stamp(long millis, int nanos, String text) {
    }

    private static volatile Stamp lastStamp = new Stamp(Long.MIN_VALUE, -1, "");

    private static String format(Timestamp t) {
        LocalDateTime d = LocalDateTime.ofEpochSecond(Math.floorDiv(t.getTime(), 1000), t.getNanos(),
                ZoneOffset.UTC);
        if (d.getYear() < 1 || d.getYear() > 9999) {
            return t.toInstant().toString();
        }
        char[] c = new char[30];
        digits(c, 0, d.getYear(), 4);
        c[4] = '-';
        digits(c, 5, d.getMonthValue(), 2);
        c[7] = '-';
        digits(c, 8, d.getDayOfMonth(), 2);
        c[10] = 'T';
        digits(c, 11, d.getHour(), 2);
        c[13] = ':';
        digits(c, 14, d.getMinute(), 2);
        c[16] = ':';
        digits(c, 17, d.getSecond(), 2);
        int end = 19;
        if (t.getNanos() != 0) {
            c[19] = '.';
            digits(c, 20, t.getNanos(), 9);
            end = 29;
        }
        c[end] = 'Z';
        return new String(c, 0, end + 1);
    }

    private static void digits(char[] c, int at, int value, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            c[i] = (char) ('0' + value % 10);
            value /= 10;
        }
    }
}
