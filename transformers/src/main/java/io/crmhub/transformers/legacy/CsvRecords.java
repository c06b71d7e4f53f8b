package io.crmhub.transformers.legacy;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * A CSV export read record by record (RFC 4180: quoted fields with doubled quotes, delimiters and
 * line breaks inside quotes, CRLF or LF), so memory stays flat whatever the file's size. The first
 * row names the columns. A row with more or fewer fields than the header is still returned, marked
 * with its problem, for the caller to reject with its line number.
 */
public final class CsvRecords implements Iterator<CsvRecords.Row>, AutoCloseable {

    /**
     * One data row.
     *
     * @param line    the line the row starts on (the header is line 1)
     * @param values  by column name, in header order; missing trailing fields are absent
     * @param problem null, or what is wrong with the row's shape
     */
    public record Row(long line, Map<String, String> values, String problem) {
    }

    private final Reader in;
    private final char delimiter;
    private final List<String> header;
    private long line = 1;
    private Row next;
    private int pushedBack = -2;
    private final char[] buffer = new char[8192];
    private int position;
    private int filled;

    public CsvRecords(Reader in, char delimiter) {
        this.in = in;
        this.delimiter = delimiter;
        List<String> h = readFields();
        if (h == null) {
            throw new IllegalArgumentException("the file is empty: no header row");
        }
        this.header = h.stream().map(String::strip).toList();
        if (header.stream().distinct().count() != header.size()) {
            throw new IllegalArgumentException("the header names a column twice: " + header);
        }
    }

    public List<String> header() {
        return header;
    }

    @Override
    public boolean hasNext() {
        while (next == null) {
            long start = line;
            List<String> fields = readFields();
            if (fields == null) {
                return false;
            }
            if (fields.size() == 1 && fields.get(0).isEmpty()) {
                continue; // a blank line
            }
            Map<String, String> values = new LinkedHashMap<>();
            for (int i = 0; i < Math.min(fields.size(), header.size()); i++) {
                values.put(header.get(i), fields.get(i));
            }
            String problem = fields.size() == header.size() ? null
                    : fields.size() + " fields where the header has " + header.size();
            next = new Row(start, values, problem);
        }
        return true;
    }

    @Override
    public Row next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        Row r = next;
        next = null;
        return r;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }

    /** The fields of the next record, or null at the end of the file. */
    private List<String> readFields() {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        boolean any = false;
        while (true) {
            int c = read();
            if (c < 0) {
                if (quoted) {
                    throw new IllegalArgumentException("line " + line + ": a quoted field is not closed before the end of the file");
                }
                if (!any) {
                    return null;
                }
                fields.add(field.toString());
                return fields;
            }
            any = true;
            if (quoted) {
                if (c == '"') {
                    int d = read();
                    if (d == '"') {
                        field.append('"');
                    } else {
                        quoted = false;
                        unread(d);
                    }
                } else {
                    if (c == '\n') {
                        line++;
                    }
                    field.append((char) c);
                }
            } else if (c == '"' && field.isEmpty()) {
                quoted = true;
            } else if (c == delimiter) {
                fields.add(field.toString());
                field.setLength(0);
            } else if (c == '\r' || c == '\n') {
                if (c == '\r') {
                    int d = read();
                    if (d != '\n') {
                        unread(d);
                    }
                }
                line++;
                fields.add(field.toString());
                return fields;
            } else {
                field.append((char) c);
            }
        }
    }

    private int read() {
        if (pushedBack != -2) {
            int c = pushedBack;
            pushedBack = -2;
            return c;
        }
        if (position == filled) {
            try {
                // a character at a time from the decoder took 13 % of a migration's reading thread
                filled = in.read(buffer, 0, buffer.length);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read line " + line + ": " + e.getMessage(), e);
            }
            position = 0;
            if (filled <= 0) {
                filled = 0;
                return -1;
            }
        }
        return buffer[position++];
    }

    private void unread(int c) {
        pushedBack = c;
    }
}
