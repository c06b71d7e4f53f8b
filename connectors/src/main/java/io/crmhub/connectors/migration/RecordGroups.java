package io.crmhub.connectors.migration;

import io.crmhub.transformers.legacy.CsvRecords;
import io.crmhub.transformers.mapping.EntityMapping;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * A source's rows as records: one row each, or — for a mapping with detail lines (an order) — the
 * consecutive rows with the same key, one per line, the record's own columns repeated on each (an
 * export sorted by the key, or a table joined with its lines). A row the reader could not read
 * stands alone, to be refused with its line number.
 */
final class RecordGroups implements Iterator<List<CsvRecords.Row>> {

    private final Iterator<CsvRecords.Row> rows;
    private final String key;
    private final boolean grouped;
    private CsvRecords.Row pending;

    RecordGroups(Iterator<CsvRecords.Row> rows, EntityMapping mapping) {
        this.rows = rows;
        this.key = mapping.keyColumn();
        this.grouped = mapping.lines() != null;
    }

    @Override
    public boolean hasNext() {
        return pending != null || rows.hasNext();
    }

    @Override
    public List<CsvRecords.Row> next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        CsvRecords.Row first = pending != null ? pending : rows.next();
        pending = null;
        List<CsvRecords.Row> group = new ArrayList<>(grouped ? 4 : 1);
        group.add(first);
        String id = first.problem() == null ? blankToNull(first.values().get(key)) : null;
        if (!grouped || id == null) {
            return group;
        }
        while (rows.hasNext()) {
            CsvRecords.Row r = rows.next();
            if (r.problem() == null && Objects.equals(id, blankToNull(r.values().get(key)))) {
                group.add(r);
            } else {
                pending = r;
                break;
            }
        }
        return group;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
