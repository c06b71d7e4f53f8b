package io.crmhub.transformers.legacy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.List;

/**
 * The rejected-rows file of a migration report: one line per refused source row with its source
 * id, line and reasons, written as it goes. A spreadsheet opens it safely: a cell that would start
 * a formula ({@code = + - @}, a tab or a carriage return) is prefixed with a quote, as OWASP advises
 * against CSV injection, and cells are quoted by RFC 4180.
 */
public final class RejectedRowsCsv implements AutoCloseable {

    public static final List<String> HEADER = List.of("table", "source_id", "line", "field", "reason", "value");

    private final Writer out;
    private long rows;

    public RejectedRowsCsv(Writer out) {
        this.out = out;
        write(HEADER);
    }

    /** One reason of one refused row (a row refused for three reasons is three lines). */
    public void reject(String table, String sourceId, long line, String field, String reason, String value) {
        write(List.of(table, nullToEmpty(sourceId), line > 0 ? Long.toString(line) : "", nullToEmpty(field), reason, nullToEmpty(value)));
        rows++;
    }

    /** Lines written, the header not counted. */
    public long rows() {
        return rows;
    }

    /** A cell as written: neutralized if a spreadsheet would run it, quoted if it must be. */
    public static String cell(String value) {
        String v = value;
        if (!v.isEmpty() && "=+-@\t\r".indexOf(v.charAt(0)) >= 0) {
            v = "'" + v;
        }
        if (v.indexOf(',') >= 0 || v.indexOf('"') >= 0 || v.indexOf('\n') >= 0 || v.indexOf('\r') >= 0) {
            v = '"' + v.replace("\"", "\"\"") + '"';
        }
        return v;
    }

    private void write(List<String> cells) {
        try {
            for (int i = 0; i < cells.size(); i++) {
                if (i > 0) {
                    out.write(',');
                }
                out.write(cell(cells.get(i)));
            }
            out.write("\r\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the rejected-rows file", e);
        }
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
