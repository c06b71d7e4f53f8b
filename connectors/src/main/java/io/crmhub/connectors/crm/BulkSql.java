package io.crmhub.connectors.crm;

import org.postgresql.PGStatement;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowCallbackHandler;

import java.math.BigDecimal;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.util.List;
import java.util.StringJoiner;

/**
 * A batch of rows as one PostgreSQL statement: each column travels as one text array and the
 * statement unnests them. One round trip and one small, reusable plan whatever the batch size,
 * where a JDBC batch costs a statement (or a multi-row statement of thousands of parameters to
 * plan) per row or per hundred rows.
 */
final class BulkSql {

    /** A column: its name, the SQL type its text is cast to, and the value used when the text is null (or null). */
    record Col(String name, String sqlType, String whenNull) {

        Col(String name, String sqlType) {
            this(name, sqlType, null);
        }

        String value() {
            String cast = "cast(u." + name + " as " + sqlType + ")";
            return whenNull == null ? cast : "coalesce(" + cast + ", '" + whenNull + "')";
        }
    }

    private final String sql;
    private final int width;
    /** an update joins the table: planned per call, so that a plan made while the table was small never sticks */
    private final boolean joins;

    private BulkSql(String sql, int width, boolean joins) {
        this.sql = sql;
        this.width = width;
        this.joins = joins;
    }

    /** {@code insert into table (cols) select ... from unnest(...)}; rows hold the values in column order. */
    static BulkSql insert(String table, List<Col> cols) {
        StringJoiner names = new StringJoiner(", ");
        StringJoiner values = new StringJoiner(", ");
        cols.forEach(c -> {
            names.add(c.name());
            values.add(c.value());
        });
        return new BulkSql("insert into " + table + " (" + names + ") select " + values + " from " + unnest(cols), cols.size(), false);
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
        return new BulkSql("update " + table + " t set " + assignments + " from " + unnest(all) + " where " + where, all.size(), true);
    }

    String sql() {
        return sql;
    }

    /** Runs the statement for all rows at once; nothing for no rows. Returns the rows affected. */
    int execute(JdbcTemplate jdbc, List<Object[]> rows) {
        if (rows.isEmpty()) {
            return 0;
        }
        Object[] columns = new Object[width];
        for (int c = 0; c < width; c++) {
            String[] column = new String[rows.size()];
            for (int r = 0; r < rows.size(); r++) {
                column[r] = text(rows.get(r)[c]);
            }
            columns[c] = column;
        }
        return joins ? change(jdbc, sql, columns) : jdbc.update(sql, columns);
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
            return t.toInstant().toString();
        }
        if (value instanceof BigDecimal d) {
            return d.toPlainString();
        }
        return value.toString();
    }
}
