package io.crmhub.hub.api;

import io.crmhub.connectors.migration.LegacyMigrations;
import io.crmhub.connectors.migration.MigrationJob;
import io.crmhub.connectors.migration.MigrationRuns;
import io.crmhub.connectors.migration.MigrationRuns.Run;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Legacy migrations: the jobs of {@code config/migrations}, starting a run or a dry run, following
 * it, and its report — as JSON, as a page, and the refused records as CSV.
 */
@RestController
@Tag(name = "Legacy migrations", description = "Run a migration job or its dry run; progress, report, refused records")
public class MigrationsController {

    /** A job as operators see it. */
    public record JobView(String name, String description, String owner, String schedule, int batchSize, long stopAfterFailures,
                          List<String> steps) {
    }

    private final LegacyMigrations migrations;
    private final MigrationRuns runs;

    public MigrationsController(LegacyMigrations migrations) {
        this.migrations = migrations;
        this.runs = migrations.runs();
    }

    @GetMapping("/api/migrations")
    @Operation(summary = "The migration jobs, and what runs now (records/s, share done, ETA)")
    public Map<String, Object> jobs() {
        List<JobView> jobs = migrations.jobs().values().stream().map(MigrationsController::view).toList();
        return Map.of("jobs", jobs, "running", migrations.running());
    }

    @PostMapping("/api/migrations/{job}/runs")
    @Operation(summary = "Start a run of the job (dryRun=true: a dry run, which writes nothing); 409 while it runs")
    public ResponseEntity<Map<String, Object>> start(@PathVariable String job, @RequestParam(defaultValue = "false") boolean dryRun) {
        if (!migrations.jobs().containsKey(job)) {
            throw new ResponseStatusException(HttpStatus.NOT_FOUND, "no migration job '" + job + "'; jobs: " + migrations.jobs().keySet());
        }
        UUID run = migrations.start(job, dryRun, "API").orElseThrow(() ->
                new ResponseStatusException(HttpStatus.CONFLICT, "migration " + job + " is running (here or on another hub)"));
        String base = "/api/migrations/runs/" + run;
        return ResponseEntity.accepted().body(Map.of("runId", run, "dryRun", dryRun, "run", base, "report", base + "/report",
                "page", base + "/report.html"));
    }

    @GetMapping("/api/migrations/runs")
    @Operation(summary = "The latest runs, of one job or all")
    public List<Run> list(@RequestParam(required = false) String job, @RequestParam(defaultValue = "20") int limit) {
        return runs.recent(job, Math.max(1, Math.min(limit, 200)));
    }

    @GetMapping("/api/migrations/runs/{id}")
    @Operation(summary = "A run: its status and its progress per step")
    public Run run(@PathVariable UUID id) {
        return runs.find(id).orElseThrow(() -> notFound(id));
    }

    @GetMapping(value = "/api/migrations/runs/{id}/report", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "The report of an ended run: totals, data-quality scorecard, reasons, missing parents")
    public String report(@PathVariable UUID id) {
        return runs.report(id).orElseThrow(() -> runs.find(id).isPresent()
                ? new ResponseStatusException(HttpStatus.CONFLICT, "run " + id + " has not ended yet") : notFound(id));
    }

    @GetMapping(value = "/api/migrations/runs/{id}/report.html", produces = MediaType.TEXT_HTML_VALUE)
    @Operation(summary = "The report as a page")
    public String page(@PathVariable UUID id) {
        return migrations.reportOf(id).orElseThrow(() -> runs.find(id).isPresent()
                ? new ResponseStatusException(HttpStatus.CONFLICT, "run " + id + " has not ended yet") : notFound(id)).html();
    }

    @GetMapping(value = "/api/migrations/runs/{id}/rejected.csv", produces = "text/csv")
    @Operation(summary = "The run's refused records, one row per reason, and its records with a missing parent (CSV)")
    public ResponseEntity<StreamingResponseBody> rejected(@PathVariable UUID id) {
        runs.find(id).orElseThrow(() -> notFound(id));
        StreamingResponseBody body = out -> {
            Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            runs.writeRejectedCsv(id, w);
        };
        return ResponseEntity.ok().header("Content-Disposition", "attachment; filename=\"rejected-" + id + ".csv\"")
                .contentType(new MediaType("text", "csv", StandardCharsets.UTF_8)).body(body);
    }

    private static ResponseStatusException notFound(UUID id) {
        return new ResponseStatusException(HttpStatus.NOT_FOUND, "no migration run " + id);
    }

    private static JobView view(MigrationJob j) {
        return new JobView(j.name(), j.description(), j.owner(), j.schedule() == null ? null : j.schedule().toString(), j.batchSize(),
                j.stopAfterFailures(), j.steps().stream().map(s -> s.name() + " (" + s.source().kind() + " -> " + s.entity() + ")").toList());
    }
}
