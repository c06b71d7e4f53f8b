package io.crmhub.connectors.migration;

import io.crmhub.transformers.legacy.CsvRecords;
import io.crmhub.transformers.legacy.FixedWidthRecords;
import io.crmhub.transformers.legacy.Mojibake;
import io.crmhub.transformers.legacy.TextEncoding;
import io.crmhub.transformers.mapping.EntityMapping;
import io.crmhub.transformers.mapping.JoinSpec;
import io.crmhub.transformers.mapping.LineMapping;

import javax.sql.DataSource;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * A step's source read record by record, with memory flat whatever its size: a CSV or fixed-width
 * file decoded in its declared or detected encoding (values that are mojibake are repaired), or an
 * ERP table read in key order through a cursor. It knows how far it has come, for the ETA.
 */
abstract class SourceReader implements Iterator<CsvRecords.Row>, AutoCloseable {

    /** Opens the step's source. */
    static SourceReader open(MigrationJob.Step step, DataSource erp) throws IOException {
        MigrationJob.Source s = step.source();
        return switch (s.kind()) {
            case CSV, FIXED_WIDTH -> new FileReader(s, Path.of(s.path()));
            case JDBC -> {
                if (erp == null) {
                    throw new IllegalStateException("step " + step.name() + " reads the ERP, but no ERP database is configured");
                }
                yield new TableReader(step.mapping(), erp);
            }
        };
    }

    /** The share of the source read so far, 0 to 1 (for the ETA). */
    abstract double done();

    /** The encoding the file is read in, or null for a table. */
    String encoding() {
        return null;
    }

    /** Skips records a resumed run already committed. */
    void skip(long records) {
        for (long i = 0; i < records && hasNext(); i++) {
            next();
        }
    }

    @Override
    public abstract void close() throws IOException;

    private static final class FileReader extends SourceReader {

        private final Counting counted;
        private final long size;
        private final Iterator<CsvRecords.Row> rows;
        private final AutoCloseable closer;
        private final String encoding;

        FileReader(MigrationJob.Source s, Path path) throws IOException {
            if (!Files.isRegularFile(path)) {
                throw new IOException("source file " + path.toAbsolutePath() + " does not exist");
            }
            this.size = Math.max(1, Files.size(path));
            this.counted = new Counting(Files.newInputStream(path));
            TextEncoding.Opened opened = TextEncoding.open(counted, "auto".equalsIgnoreCase(s.encoding()) ? null : s.encoding());
            this.encoding = opened.encoding().charset().name() + " (" + opened.encoding().reason() + ")";
            if (s.kind() == MigrationJob.Kind.CSV) {
                CsvRecords csv = new CsvRecords(opened.reader(), s.delimiter());
                this.rows = csv;
                this.closer = csv;
            } else {
                FixedWidthRecords fixed = new FixedWidthRecords(opened.reader(), s.layout());
                this.rows = fixed;
                this.closer = fixed;
            }
        }

        @Override
        public boolean hasNext() {
            return rows.hasNext();
        }

        @Override
        public CsvRecords.Row next() {
            CsvRecords.Row r = rows.next();
            Map<String, String> repaired = new LinkedHashMap<>();
            r.values().forEach((k, v) -> repaired.put(k, Mojibake.repair(v)));
            return new CsvRecords.Row(r.line(), repaired, r.problem());
        }

        @Override
        double done() {
            return Math.min(1.0, (double) counted.count / size);
        }

        @Override
        String encoding() {
            return encoding;
        }

        @Override
        public void close() throws IOException {
            try {
                closer.close();
            } catch (IOException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException(e);
            }
        }
    }

    /** Counts the bytes read: the share of a file decoded so far. */
    private static final class Counting extends FilterInputStream {

        private volatile long count;

        Counting(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }

    /** An ERP table in key order, through a cursor (the connection stays open for the step). */
    private static final class TableReader extends SourceReader {

        private final Connection connection;
        private final PreparedStatement statement;
        private final ResultSet rs;
        private final long total;
        private final String changedAt;
        private volatile long read;
        private CsvRecords.Row next;

        TableReader(EntityMapping mapping, DataSource erp) throws IOException {
            try {
                this.connection = erp.getConnection();
                connection.setAutoCommit(false);
                connection.setReadOnly(true);
                JoinSpec join = mapping.join();
                LineMapping lines = mapping.lines();
                // a record with detail lines comes as one row per line, its own columns first
                String from = mapping.table() + " t"
                        + (join == null ? "" : " LEFT JOIN " + join.table() + " j ON j." + join.key() + " = t." + join.key())
                        + (lines == null ? "" : " LEFT JOIN " + lines.table() + " l ON l." + lines.parentKeyColumn()
                                + " = t." + mapping.keyColumn());
                String columns = "t.*" + (join == null ? "" : join.columns().stream().map(c -> ", j." + c).reduce("", String::concat))
                        + (lines == null ? "" : ", l.*");
                String order = "t." + mapping.keyColumn() + (lines == null || lines.orderByColumn() == null ? "" : ", l." + lines.orderByColumn());
                try (var count = connection.createStatement(); var c = count.executeQuery("SELECT COUNT(*) FROM " + from)) {
                    c.next();
                    this.total = Math.max(1, c.getLong(1));
                }
                this.statement = connection.prepareStatement("SELECT " + columns + " FROM " + from + " ORDER BY " + order,
                        ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY);
                statement.setFetchSize(1000);
                this.rs = statement.executeQuery();
                this.changedAt = mapping.changedAtColumn();
            } catch (SQLException e) {
                throw new IOException("cannot read ERP table " + mapping.table() + ": " + e.getMessage(), e);
            }
        }

        @Override
        public boolean hasNext() {
            if (next != null) {
                return true;
            }
            try {
                if (!rs.next()) {
                    return false;
                }
                ResultSetMetaData md = rs.getMetaData();
                Map<String, String> values = new LinkedHashMap<>();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    String column = md.getColumnLabel(i).toUpperCase(java.util.Locale.ROOT);
                    if (values.containsKey(column)) {
                        continue; // a column both tables have (the key): the record's own comes first
                    }
                    if (column.equalsIgnoreCase(changedAt)) {
                        Timestamp t = rs.getTimestamp(i);
                        values.put(column, t == null ? null : t.toInstant().toString());
                    } else {
                        values.put(column, rs.getString(i));
                    }
                }
                read++;
                next = new CsvRecords.Row(read, values, null);
                return true;
            } catch (SQLException e) {
                throw new UncheckedIOException(new IOException("cannot read the ERP table: " + e.getMessage(), e));
            }
        }

        @Override
        public CsvRecords.Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            CsvRecords.Row r = next;
            next = null;
            return r;
        }

        @Override
        double done() {
            return Math.min(1.0, (double) read / total);
        }

        @Override
        public void close() throws IOException {
            try (connection; statement; rs) {
                connection.rollback();
            } catch (SQLException e) {
                throw new IOException(e);
            }
        }
    }
}
