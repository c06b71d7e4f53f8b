package io.crmhub.connectors.migration;

import io.crmhub.transformers.legacy.CsvRecords;
import io.crmhub.transformers.mapping.EntityMapping;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;

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

    /**
     * The keys of records with detail lines whose rows are not all together in the source (an
     * order's rows apart from each other in a file not sorted by order number): read in one pass,
     * in memory that holds 8 bytes per record (a 64-bit hash of each key seen) plus the keys found.
     * Such a record would otherwise be loaded with the lines of its first group only.
     */
    static Set<String> scattered(Iterator<CsvRecords.Row> rows, EntityMapping mapping) {
        Set<String> found = new HashSet<>();
        if (mapping.lines() == null) {
            return found;
        }
        RecordGroups groups = new RecordGroups(rows, mapping);
        LongSet seen = new LongSet();
        while (groups.hasNext()) {
            List<CsvRecords.Row> group = groups.next();
            CsvRecords.Row first = group.get(0);
            String id = first.problem() == null ? blankToNull(first.values().get(mapping.keyColumn())) : null;
            if (id != null && !seen.add(hash(id))) {
                found.add(id);
            }
        }
        return found;
    }

    /** FNV-1a, 64 bits: among two million keys, a collision is about one chance in ten million. */
    private static long hash(String s) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < s.length(); i++) {
            h ^= s.charAt(i);
            h *= 0x100000001b3L;
        }
        return h == 0 ? 1 : h;
    }

    /** A set of non-zero longs, open addressing, without boxing. */
    private static final class LongSet {
        private long[] table = new long[1 << 12];
        private int size;

        boolean add(long v) {
            if (size * 2 >= table.length) {
                long[] old = table;
                table = new long[old.length * 2];
                size = 0;
                for (long o : old) {
                    if (o != 0) {
                        add(o);
                    }
                }
            }
            int mask = table.length - 1;
            for (int i = (int) (v ^ (v >>> 32)) & mask; ; i = (i + 1) & mask) {
                if (table[i] == v) {
                    return false;
                }
                if (table[i] == 0) {
                    table[i] = v;
                    size++;
                    return true;
                }
            }
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
