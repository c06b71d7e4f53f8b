package io.crmhub.connectors.migration;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How far a run has come and what it did, per step: stored with every committed batch (a resumed
 * run continues from it), and the source of the report's totals and scorecard.
 *
 * @param step the step being run (equal to the number of steps once all are done)
 */
public record MigrationProgress(int step, List<StepCounts> steps) {

    /**
     * One step's counts.
     *
     * @param position      source rows consumed (committed): where a resumed run starts
     * @param read          records read (a record with detail lines, an order, spans a row per line)
     * @param created       new CRM records
     * @param merged        records found to be a CRM record already (a sure duplicate, within
     *                      the load or against the store): linked to it, nothing created
     * @param updated       existing CRM records (same source id) whose values changed
     * @param unchanged     existing CRM records the record matched exactly
     * @param repeated      the same source id again in the same run, or an older version of a
     *                      record than the CRM holds: nothing written
     * @param quarantined   records refused, with their reasons
     * @param missingParent records whose parent the CRM does not hold: not loaded, waiting for it
     * @param failedFields  refused records per field at fault ({@code *}: the record as a whole)
     */
    public record StepCounts(String name, String entity, long position, long read, long created, long merged, long updated,
                             long unchanged, long repeated, long quarantined, long missingParent, Map<String, Long> failedFields) {

        public StepCounts {
            failedFields = failedFields == null ? Map.of() : Map.copyOf(failedFields);
        }

        static StepCounts start(String name, String entity) {
            return new StepCounts(name, entity, 0, 0, 0, 0, 0, 0, 0, 0, 0, Map.of());
        }

        StepCounts plus(StepCounts b) {
            Map<String, Long> fields = new TreeMap<>(failedFields);
            b.failedFields.forEach((f, n) -> fields.merge(f, n, Long::sum));
            return new StepCounts(name, entity, position + b.position, read + b.read, created + b.created, merged + b.merged,
                    updated + b.updated, unchanged + b.unchanged, repeated + b.repeated, quarantined + b.quarantined,
                    missingParent + b.missingParent, fields);
        }

        /** Records in the CRM after the step: created, merged into an existing record, updated or found unchanged. */
        public long loaded() {
            return created + merged + updated + unchanged;
        }
    }

    public MigrationProgress {
        steps = List.copyOf(steps);
    }

    static MigrationProgress start(MigrationJob job) {
        return new MigrationProgress(0, job.steps().stream().map(s -> StepCounts.start(s.name(), s.entity())).toList());
    }

    MigrationProgress plus(StepCounts batch) {
        List<StepCounts> next = new ArrayList<>(steps);
        next.set(step, steps.get(step).plus(batch));
        return new MigrationProgress(step, next);
    }

    MigrationProgress nextStep() {
        return new MigrationProgress(step + 1, steps);
    }

    public StepCounts current() {
        return steps.get(step);
    }

    /** Records refused so far, over all steps: what the stop threshold counts. */
    public long failed() {
        return steps.stream().mapToLong(StepCounts::quarantined).sum();
    }

    public long read() {
        return steps.stream().mapToLong(StepCounts::read).sum();
    }
}
