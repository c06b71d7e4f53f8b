package io.crmhub.transformers.legacy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * A fixed-width export read line by line, each field cut out by the layout (start at 1, length),
 * padding removed. A line shorter than the layout's last required column is returned with its
 * problem; the caller rejects it with its line number.
 */
public final class FixedWidthRecords implements Iterator<CsvRecords.Row>, AutoCloseable {

    /** A field of the layout: its first column (1-based) and width. */
    public record Field(String name, int start, int length) {

        public Field {
            if (name == null || name.isBlank() || start < 1 || length < 1) {
                throw new IllegalArgumentException("a layout field needs a name, a start of 1 or more and a length of 1 or more: "
                        + name + " " + start + " " + length);
            }
        }

        int end() {
            return start - 1 + length;
        }
    }

    private final BufferedReader in;
    private final List<Field> layout;
    private final int width;
    private long line;
    private CsvRecords.Row next;

    public FixedWidthRecords(Reader in, List<Field> layout) {
        if (layout.isEmpty()) {
            throw new IllegalArgumentException("a fixed-width layout needs at least one field");
        }
        for (int i = 0; i < layout.size(); i++) {
            for (int j = i + 1; j < layout.size(); j++) {
                Field a = layout.get(i);
                Field b = layout.get(j);
                if (a.start() <= b.end() && b.start() <= a.end()) {
                    throw new IllegalArgumentException("layout fields " + a.name() + " and " + b.name() + " overlap");
                }
            }
        }
        this.in = in instanceof BufferedReader b ? b : new BufferedReader(in);
        this.layout = List.copyOf(layout);
        this.width = layout.stream().mapToInt(Field::end).max().orElse(0);
    }

    @Override
    public boolean hasNext() {
        while (next == null) {
            String text;
            try {
                text = in.readLine();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read line " + (line + 1) + ": " + e.getMessage(), e);
            }
            if (text == null) {
                return false;
            }
            line++;
            if (text.isBlank()) {
                continue;
            }
            Map<String, String> values = new LinkedHashMap<>();
            for (Field f : layout) {
                String v = f.start() > text.length() ? "" : text.substring(f.start() - 1, Math.min(text.length(), f.end()));
                values.put(f.name(), v.strip());
            }
            String problem = text.length() < width ? "line has " + text.length() + " characters, the layout " + width : null;
            next = new CsvRecords.Row(line, values, problem);
        }
        return true;
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
    public void close() throws IOException {
        in.close();
    }
}
