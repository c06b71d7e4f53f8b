package io.crmhub.transformers.legacy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The data-quality scorecard of a migration: error rates per table and per critical field against
 * the thresholds practice sets — under 5 % per table, under 1 % for critical fields and pointers,
 * up to 20 % tolerated for leads. Counted as records stream by; read at the end.
 */
public final class QualityScorecard {

    /** The thresholds, as shares (0.05 = 5 %). */
    public record Thresholds(double table, double criticalField, double leads) {

        public static final Thresholds PRACTICE = new Thresholds(0.05, 0.01, 0.20);
    }

    /** One line of the scorecard. */
    public record Line(String table, String field, long checked, long failed, double rate, double threshold, boolean passed) {
    }

    private final Thresholds thresholds;
    private final Map<String, long[]> tables = new LinkedHashMap<>();
    private final Map<String, Map<String, long[]>> fields = new LinkedHashMap<>();
    private final Map<String, Set<String>> critical;

    /** @param critical per table, its critical fields and pointers ({@code account → [name, country]}) */
    public QualityScorecard(Thresholds thresholds, Map<String, Set<String>> critical) {
        this.thresholds = thresholds;
        this.critical = Map.copyOf(critical);
        this.critical.forEach((table, fs) -> {
            Map<String, long[]> m = fields.computeIfAbsent(table, t -> new LinkedHashMap<>());
            fs.forEach(f -> m.put(f, new long[2]));
        });
    }

    /** A record was checked; {@code failedFields} names the fields that failed (empty: the record passed). */
    public void record(String table, Set<String> failedFields) {
        long[] t = tables.computeIfAbsent(table, k -> new long[2]);
        t[0]++;
        if (!failedFields.isEmpty()) {
            t[1]++;
        }
        fields.getOrDefault(table, Map.of()).forEach((field, counts) -> {
            counts[0]++;
            if (failedFields.contains(field)) {
                counts[1]++;
            }
        });
    }

    /**
     * Adds counts kept elsewhere (a resumed run keeps them with its progress): {@code checked}
     * records of which {@code failed} failed, and per field the records it failed in.
     */
    public void add(String table, long checked, long failed, Map<String, Long> failedByField) {
        long[] t = tables.computeIfAbsent(table, k -> new long[2]);
        t[0] += checked;
        t[1] += failed;
        fields.getOrDefault(table, Map.of()).forEach((field, counts) -> {
            counts[0] += checked;
            counts[1] += failedByField.getOrDefault(field, 0L);
        });
    }

    public List<Line> lines() {
        List<Line> out = new ArrayList<>();
        tables.forEach((table, t) -> {
            double limit = table.equals("lead") ? thresholds.leads() : thresholds.table();
            out.add(line(table, null, t, limit));
            fields.getOrDefault(table, Map.of()).forEach((field, c) -> out.add(line(table, field, c,
                    table.equals("lead") ? thresholds.leads() : thresholds.criticalField())));
        });
        return out;
    }

    /** Whether every line is within its threshold. */
    public boolean passed() {
        return lines().stream().allMatch(Line::passed);
    }

    private static Line line(String table, String field, long[] c, double threshold) {
        double rate = c[0] == 0 ? 0 : (double) c[1] / c[0];
        return new Line(table, field, c[0], c[1], rate, threshold, rate < threshold || c[1] == 0);
    }
}
