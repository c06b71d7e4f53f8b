package io.crmhub.connectors.migration;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.crmhub.connectors.config.MappingConfiguration;
import io.crmhub.transformers.legacy.FixedWidthRecords;
import io.crmhub.transformers.mapping.EntityMapping;
import org.springframework.core.io.Resource;
import org.springframework.scheduling.support.CronExpression;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A legacy migration as a data team defines it in {@code migrations/<job>.yml}: its steps (parents
 * first), each a source read with a mapping, and when and how it runs.
 *
 * @param schedule          when it runs by itself (Spring cron, six fields); null: on demand only
 * @param batchSize         records per transaction
 * @param stopAfterFailures the run stops once more records than this were refused
 * @param writers           batches a real run writes at once, each in its transaction (1 or 2); they
 *                          commit in order, and a batch that depends on the one beside it waits for
 *                          its commit
 */
public record MigrationJob(String name, String description, String owner, CronExpression schedule, int batchSize,
                           long stopAfterFailures, int writers, List<Step> steps) {

    /** The kinds of source a step reads. */
    public enum Kind { CSV, FIXED_WIDTH, JDBC }

    /**
     * Where a step's records come from.
     *
     * @param path      a file (CSV, fixed width); a relative path is in the configuration folder
     * @param encoding  {@code auto} (detected), or a charset name: UTF-8, windows-1252, ISO-8859-1
     * @param layout    the fields of a fixed-width line
     */
    public record Source(Kind kind, String path, String encoding, char delimiter, List<FixedWidthRecords.Field> layout) {
    }

    /** One table of the load: a source read with a mapping (the mapping's entity is the CRM table). */
    public record Step(String name, EntityMapping mapping, Source source) {

        public String entity() {
            return mapping.entity();
        }
    }

    public MigrationJob {
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("migration " + name + " has no steps");
        }
        if (batchSize < 1 || stopAfterFailures < 0) {
            throw new IllegalArgumentException("migration " + name + ": batch-size must be 1 or more, stop-after-failures 0 or more");
        }
        if (writers < 1 || writers > 2) {
            throw new IllegalArgumentException("migration " + name + ": writers must be 1 or 2, not " + writers);
        }
        steps = List.copyOf(steps);
    }

    public Step step(int index) {
        return steps.get(index);
    }

    // ---- the YAML shape -------------------------------------------------------------------

    record JobFile(String description, String owner, String schedule, @JsonProperty("batch-size") Integer batchSize,
                   @JsonProperty("stop-after-failures") Long stopAfterFailures, Integer writers, List<StepFile> steps) {
    }

    record StepFile(String name, String mapping, SourceFile source) {
    }

    record SourceFile(String type, String path, String encoding, String delimiter, String layout) {
    }

    record LayoutFile(String description, List<LayoutField> fields) {
    }

    record LayoutField(String name, int start, int length, String type) {
    }

    /** Every job in {@code migrations/*.yml} of the configuration folder, by name. */
    public static Map<String, MigrationJob> loadAll(String configDir) {
        Map<String, MigrationJob> jobs = new TreeMap<>();
        for (Resource r : MappingConfiguration.resources(configDir, "migrations/*.yml")) {
            String name = r.getFilename().replaceFirst("\\.yml$", "");
            jobs.put(name, load(configDir, name, r));
        }
        return jobs;
    }

    private static MigrationJob load(String configDir, String name, Resource r) {
        JobFile f = MappingConfiguration.read(r, JobFile.class);
        String where = "migrations/" + name + ".yml";
        try {
            if (f.steps() == null) {
                throw new IllegalArgumentException("no steps");
            }
            List<Step> steps = new ArrayList<>();
            for (StepFile s : f.steps()) {
                if (s.mapping() == null || s.source() == null || s.source().type() == null) {
                    throw new IllegalArgumentException("step " + s.name() + " needs a mapping and a source with a type");
                }
                EntityMapping mapping = MappingConfiguration.loadMapping(configDir, s.mapping());
                steps.add(new Step(s.name() == null ? s.mapping() : s.name(), mapping, source(configDir, s, mapping)));
            }
            CronExpression cron = f.schedule() == null || f.schedule().isBlank() ? null : CronExpression.parse(f.schedule());
            return new MigrationJob(name, f.description(), f.owner(), cron, f.batchSize() == null ? 1000 : f.batchSize(),
                    f.stopAfterFailures() == null ? 1000 : f.stopAfterFailures(), f.writers() == null ? 2 : f.writers(), steps);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new IllegalStateException(where + ": " + e.getMessage(), e);
        }
    }

    private static Source source(String configDir, StepFile s, EntityMapping mapping) {
        SourceFile src = s.source();
        Kind kind = Kind.valueOf(src.type().toUpperCase(Locale.ROOT).replace('-', '_'));
        String encoding = src.encoding() == null ? "auto" : src.encoding();
        char delimiter = src.delimiter() == null || src.delimiter().isEmpty() ? ',' : src.delimiter().charAt(0);
        List<FixedWidthRecords.Field> layout = List.of();
        switch (kind) {
            case CSV -> requirePath(s);
            case FIXED_WIDTH -> {
                requirePath(s);
                if (src.layout() == null) {
                    throw new IllegalArgumentException("step " + s.name() + ": a fixed-width source needs a layout");
                }
                layout = layout(configDir, src.layout());
            }
            case JDBC -> {
                // the mapping's table, joined with its lines table when it has one
            }
        }
        return new Source(kind, resolve(configDir, src.path()), encoding, delimiter, layout);
    }

    /** A relative path is read in the configuration folder (when there is one), wherever the hub was started. */
    private static String resolve(String configDir, String path) {
        if (path == null || java.nio.file.Path.of(path).isAbsolute() || !java.nio.file.Files.isDirectory(java.nio.file.Path.of(configDir))) {
            return path;
        }
        return java.nio.file.Path.of(configDir).resolve(path).toString();
    }

    private static void requirePath(StepFile s) {
        if (s.source().path() == null || s.source().path().isBlank()) {
            throw new IllegalArgumentException("step " + s.name() + ": a file source needs a path");
        }
    }

    private static List<FixedWidthRecords.Field> layout(String configDir, String name) {
        Resource[] found = MappingConfiguration.resources(configDir, "layouts/" + name + ".yml");
        if (found.length == 0) {
            throw new IllegalArgumentException("layout file layouts/" + name + ".yml not found");
        }
        LayoutFile f = MappingConfiguration.read(found[0], LayoutFile.class);
        if (f.fields() == null || f.fields().isEmpty()) {
            throw new IllegalArgumentException("layouts/" + name + ".yml has no fields");
        }
        return f.fields().stream().map(l -> new FixedWidthRecords.Field(l.name(), l.start(), l.length())).toList();
    }
}
