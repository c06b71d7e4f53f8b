package io.crmhub.connectors.migration;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.Outages;
import io.crmhub.connectors.crm.ConcurrentDuplicateException;
import io.crmhub.connectors.crm.CrmDuplicates;
import io.crmhub.connectors.crm.CrmEntity;
import io.crmhub.connectors.crm.CrmWriter;
import io.crmhub.connectors.crm.WaitingRecords;
import io.crmhub.connectors.mail.Mailer;
import io.crmhub.connectors.migration.MigrationProgress.StepCounts;
import io.crmhub.connectors.migration.MigrationRuns.Rejected;
import io.crmhub.connectors.migration.MigrationRuns.Run;
import io.crmhub.transformers.legacy.CsvRecords;
import io.crmhub.transformers.legacy.QualityScorecard;
import io.crmhub.transformers.mapping.CodeTables;
import io.crmhub.transformers.mapping.EntityMapping;
import io.crmhub.transformers.mapping.FieldRule;
import io.crmhub.transformers.mapping.FieldType;
import io.crmhub.transformers.mapping.MappedRecord;
import io.crmhub.transformers.mapping.RecordMapper;
import io.crmhub.transformers.match.Matcher;
import io.crmhub.transformers.model.SourceRecord;
import io.crmhub.transformers.validation.ReasonCode;
import io.crmhub.transformers.validation.Violation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

import javax.sql.DataSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Runs legacy migrations: each step's source streamed in batches through the mapping (scrub and
 * validate), the duplicate check (within the load and against the CRM store) and the CRM writer,
 * parents first.
 * <ul>
 *   <li>A real run commits every batch with its progress and its refused records, so a run killed
 *   at any point is resumed from its last batch — by this node when it restarts, or by another once
 *   the lease ran out — and the CRM ends with exactly the records a run without a kill produces.</li>
 *   <li>A dry run goes through exactly the same code in one transaction that is rolled back at the
 *   end: its forecast is what the real run does (given the same store), and nothing stays. Its
 *   progress and refused records are written beside it, in their own transactions. It does not
 *   take the duplicate check's commit turn ({@code match_epoch}: it would stop every other writer
 *   until it ends), and it holds the row locks of the CRM records it updates until it ends.</li>
 *   <li>A run stops once more records than {@code stop-after-failures} were refused.</li>
 *   <li>At the end the report is stored with the run and mailed to the job's owner.</li>
 * </ul>
 */
public class LegacyMigrations implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LegacyMigrations.class);
    private static final Duration PROGRESS_LOG_EVERY = Duration.ofSeconds(10);
    /** The wait between two tries of a batch while the CRM store is out: doubled from the first to the last. */
    private static final Duration OUTAGE_FIRST_WAIT = Duration.ofMillis(500);
    private static final Duration OUTAGE_LONGEST_WAIT = Duration.ofSeconds(30);

    /**
     * What a running migration reports while it runs (metrics, JMX).
     *
     * @param waitingFor null, or why its batch waits: the CRM store is out, since when, how many tries
     */
    public record Running(UUID runId, String job, boolean dryRun, String step, long read, double recordsPerSecond,
                          double done, Duration eta, String waitingFor) {

        Running waiting(String why) {
            return new Running(runId, job, dryRun, step, read, recordsPerSecond, done, eta, why);
        }
    }

    private final Map<String, MigrationJob> jobs;
    private final MigrationRuns runs;
    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final TransactionTemplate txNew;
    private final WaitingRecords waiting;
    private final ObjectMapper json;
    private final Matcher matcher;
    /** Each step's mapper (read-only once built, so shared by runs). */
    private final Map<MigrationJob.Step, RecordMapper> mappers = new java.util.IdentityHashMap<>();
    private final DataSource erp;
    private final Mailer mailer;
    private final Duration lease;
    private final Duration skewTolerance;
    private final String reportBaseUrl;
    private final Clock clock;
    /** A thread per run: runs of different jobs go side by side (a job runs once at a time anyway). */
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "legacy-migration");
        t.setDaemon(true);
        return t;
    });
    private final Map<UUID, Running> running = new ConcurrentHashMap<>();
    private final Map<String, Instant> scheduleCheckedUntil = new ConcurrentHashMap<>();

    /**
     * @param erp           the ERP database JDBC steps read (null: none)
     * @param mailer        sends the report to the job's owner (null: no mail)
     * @param reportBaseUrl where the admin API serves runs, for the links in mails ({@code http://host:8080/api/migrations})
     */
    public LegacyMigrations(Map<String, MigrationJob> jobs, MigrationRuns runs, JdbcTemplate crmJdbc,
                            PlatformTransactionManager crmTransactionManager, WaitingRecords waiting, ObjectMapper json,
                            Matcher matcher, CodeTables codeTables, DataSource erp, Mailer mailer, Duration lease,
                            Duration skewTolerance, String reportBaseUrl, Clock clock) {
        this.jobs = Map.copyOf(jobs);
        this.runs = runs;
        this.jdbc = crmJdbc;
        this.tx = new TransactionTemplate(crmTransactionManager);
        this.txNew = new TransactionTemplate(crmTransactionManager);
        txNew.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        this.waiting = waiting;
        this.json = json;
        this.matcher = matcher;
        this.erp = erp;
        this.mailer = mailer;
        this.lease = lease;
        this.skewTolerance = skewTolerance;
        this.reportBaseUrl = reportBaseUrl;
        this.clock = clock;
        // built once, at start-up: a mapping naming an unknown code table stops the hub there
        jobs.values().forEach(j -> j.steps().forEach(s -> mappers.put(s, new RecordMapper(s.mapping(), codeTables))));
    }

    public Map<String, MigrationJob> jobs() {
        return jobs;
    }

    public MigrationRuns runs() {
        return runs;
    }

    /** The report of an ended run, as stored with it. */
    public Optional<MigrationReport> reportOf(UUID run) {
        return runs.report(run).map(text -> {
            try {
                return json.readValue(text, MigrationReport.class);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("unreadable report of migration run " + run, e);
            }
        });
    }

    public List<Running> running() {
        return List.copyOf(running.values());
    }

    public MigrationJob job(String name) {
        MigrationJob job = jobs.get(name);
        if (job == null) {
            throw new IllegalArgumentException("no migration job '" + name + "' (config/migrations/" + name + ".yml); jobs: " + jobs.keySet());
        }
        return job;
    }

    /** Starts a run in the background; empty when the job is already running. */
    public Optional<UUID> start(String jobName, boolean dryRun, String trigger) {
        MigrationJob job = job(jobName);
        Optional<UUID> id = runs.begin(job, dryRun, trigger, null, lease);
        id.ifPresent(run -> submit(job, runs.find(run).orElseThrow()));
        return id;
    }

    /**
     * Runs the job in the calling thread (the command line): resumes the job's run whose node died,
     * or starts one; waits for a run that another node still owns to end or be abandoned.
     */
    public MigrationReport runHere(String jobName, boolean dryRun, String trigger) throws InterruptedException {
        MigrationJob job = job(jobName);
        long deadline = System.nanoTime() + lease.multipliedBy(3).toNanos();
        while (true) {
            for (Run abandoned : dryRun ? List.<Run>of() : runs.takeOverAbandoned(jobName, lease)) {
                if (!abandoned.dryRun()) {
                    return execute(job, abandoned);
                }
                submitOrFail(abandoned); // a dry run is ended, not resumed
            }
            Optional<UUID> id = runs.begin(job, dryRun, trigger, null, lease);
            if (id.isPresent()) {
                return execute(job, runs.find(id.get()).orElseThrow());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("migration " + jobName + " is running on another node, or its run was "
                        + "interrupted: a run without --dry-run resumes it");
            }
            TimeUnit.MILLISECONDS.sleep(Math.max(100, lease.toMillis() / 10));
        }
    }

    /** Starts the scheduled runs that are due; with several hubs, one of them starts each. */
    public void fireDue() {
        Instant now = clock.instant();
        jobs.values().stream().filter(j -> j.schedule() != null).forEach(job -> {
            Instant from = scheduleCheckedUntil.getOrDefault(job.name(), now);
            scheduleCheckedUntil.put(job.name(), now);
            var next = job.schedule().next(from.atZone(clock.getZone()));
            if (next != null && !next.toInstant().isAfter(now)) {
                Optional<UUID> id = runs.begin(job, false, "SCHEDULE", next.toInstant(), lease);
                id.ifPresentOrElse(run -> submit(job, runs.find(run).orElseThrow()),
                        () -> LOG.info("Migration {}: the run of {} is started elsewhere, or the job is still running", job.name(), next));
            }
        });
    }

    /** Takes over runs whose node died: a real run resumes from its last batch. */
    public void resumeAbandoned() {
        runs.takeOverAbandoned(null, lease).forEach(this::submitOrFail);
    }

    private void submitOrFail(Run run) {
        MigrationJob job = jobs.get(run.job());
        if (run.dryRun() || job == null) {
            String why = job == null ? "the job is no longer defined" : "interrupted: a dry run is started again, not resumed";
            runs.finish(run, "FAILED", why, run.progress(), null);
            LOG.warn("Migration run {} of {} ended: {}", run.id(), run.job(), why);
            return;
        }
        LOG.info("Migration {}: resuming run {} after its node stopped ({} records done)", run.job(), run.id(),
                run.progress().read());
        submit(job, run);
    }

    private void submit(MigrationJob job, Run run) {
        executor.submit(() -> {
            try {
                execute(job, run);
            } catch (RuntimeException e) {
                LOG.error("Migration run {} of {} failed", run.id(), job.name(), e);
            }
        });
    }

    /** Stops taking batches; a run in progress stays RUNNING and is resumed by the next node to look. */
    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- the run ------------------------------------------------------------------------

    /** Thrown to leave a run as it is: interrupted, or taken over by another node. */
    private static final class Abandon extends RuntimeException {
        Abandon(String why) {
            super(why, null, false, false);
        }

        static Abandon stopping() {
            return new Abandon("the hub is stopping; the run resumes from its last batch");
        }
    }

    private MigrationReport execute(MigrationJob job, Run run) {
        Instant started = clock.instant();
        Instant version = run.startedAt().toInstant();
        Context c = new Context(job, run, version, new CrmDuplicates(jdbc, matcher, json, !run.dryRun()));
        LOG.info("Migration {} {}: run {} {} ({} steps)", job.name(), run.dryRun() ? "dry run" : "run", run.id(),
                run.resumed() > 0 ? "resumed" : "started", job.steps().size());
        String status = "SUCCEEDED";
        String reason = null;
        try {
            if (run.dryRun()) {
                tx.executeWithoutResult(t -> {
                    steps(c);
                    t.setRollbackOnly();
                });
            } else {
                steps(c);
            }
        } catch (StopThreshold stop) {
            status = "STOPPED";
            reason = stop.getMessage();
        } catch (Abandon a) {
            LOG.warn("Migration run {} of {} left running: {}", run.id(), job.name(), a.getMessage());
            return null;
        } catch (RuntimeException e) {
            status = "FAILED";
            reason = e.getMessage();
            LOG.error("Migration run {} of {} failed", run.id(), job.name(), e);
        } finally {
            running.remove(run.id());
        }
        MigrationReport report = report(job, run, c.progress, status, reason, Duration.between(started, clock.instant()));
        if (!runs.finish(run, status, reason, c.progress, report)) {
            LOG.warn("Migration run {} of {}: another node owns it now; its end is theirs to record", run.id(), job.name());
            return null;
        }
        LOG.info("Migration {} {} {} {}: {} records read, {} refused, {} missing parents; data quality {}; report at {}/runs/{}/report.html",
                job.name(), run.dryRun() ? "dry run" : "run", run.id(), status, c.progress.read(), c.progress.failed(),
                report.missingParentsTotal(), report.scorecardPassed() ? "within the thresholds" : "OVER the thresholds",
                reportBaseUrl, run.id());
        mail(job, report);
        return report;
    }

    /** The stop threshold passed: the run ends, STOPPED. */
    private static final class StopThreshold extends RuntimeException {
        StopThreshold(String why) {
            super(why, null, false, false);
        }
    }

    /** One run's state while it runs. */
    private final class Context {
        final MigrationJob job;
        final Run run;
        final Instant version;
        final CrmDuplicates duplicates;
        MigrationProgress progress;
        final long startedNanos = System.nanoTime();
        long stepStartedNanos = System.nanoTime();
        final long readAtStart;
        long lastLog = System.nanoTime();
        /** What the last committed batch did to the duplicate check's index (null: no batch yet). */
        CrmDuplicates.Indexed indexed;
        /** The step's records checked for duplicates ahead of their transaction, and the candidates they were compared with. */
        final LongAdder checked = new LongAdder();
        final LongAdder candidates = new LongAdder();
        /** The step's batches written beside the one before them, and those written again after it (they depended on it). */
        final LongAdder besideWritten = new LongAdder();
        final LongAdder besideAgain = new LongAdder();
        /** The step's time reading and scrubbing its batches, and reading ahead in the store for them (parents, the check). */
        final LongAdder readingNanos = new LongAdder();
        final LongAdder checkingNanos = new LongAdder();

        Context(MigrationJob job, Run run, Instant version, CrmDuplicates duplicates) {
            this.job = job;
            this.run = run;
            this.version = version;
            this.duplicates = duplicates;
            this.progress = run.progress();
            this.readAtStart = progress.read();
        }
    }

    private void steps(Context c) {
        for (MigrationJob.Step step : c.job.steps()) {
            String system = step.mapping().source().toUpperCase(java.util.Locale.ROOT);
            if (jdbc.queryForObject("select count(*) from external_system where code = ?", Long.class, system) == 0) {
                throw new IllegalStateException("step " + step.name() + ": source system '" + system + "' of its mapping is not "
                        + "registered in the CRM store (table external_system)");
            }
        }
        OutageWait out = new OutageWait(c);
        while (c.progress.step() < c.job.steps().size()) {
            MigrationJob.Step step = c.job.step(c.progress.step());
            try {
                step(c, step, out::over);
            } catch (RuntimeException e) {
                // The step's source (an ERP table) or the store went away outside a batch's
                // transaction: what is committed stays, and a real run reads on from its last
                // batch once it is back. A dry run's writes live in one transaction: it fails.
                if (c.run.dryRun() || !Outages.isOutage(e)) {
                    throw e;
                }
                out.failed("the source of step " + step.name() + " or the CRM store", e);
            }
        }
    }

    /**
     * Reads a step from its last committed batch to its end, batch by batch, and moves the run to
     * the next step.
     *
     * @param reading called once the source is open at the last committed batch
     */
    private void step(Context c, MigrationJob.Step step, Runnable reading) {
        RecordMapper mapper = mappers.get(step);
        // A batch is applied once: it commits with the run's progress, and a resumed run reads on
        // after it. A version the CRM holds already is refused by its cross-reference.
        CrmWriter writer = new CrmWriter(CrmEntity.named(step.entity()), jdbc, tx, waiting, json, step.mapping().references(),
                Set.of(), Set.of(), skewTolerance, c.duplicates, false);
        try (SourceReader source = SourceReader.open(step, erp)) {
            Set<String> scattered = scattered(c, step);
            if (source.encoding() != null) {
                LOG.info("Migration {} step {}: {} read as {}", c.job.name(), step.name(), step.source().path(), source.encoding());
            }
            source.skip(c.progress.current().position());
            reading.run();
            c.stepStartedNanos = System.nanoTime();
            c.checked.reset();
            c.candidates.reset();
            c.besideWritten.reset();
            c.besideAgain.reset();
            c.readingNanos.reset();
            c.checkingNanos.reset();
            double doneAtStart = source.done();
            // shown as running from the step's start: also what a first batch may wait for
            logProgress(c, step, source, doneAtStart, false);
            RecordGroups records = new RecordGroups(source, step.mapping());
            // Three stages, each a batch apart, so memory stays bounded whatever the source's size:
            // while a batch is written, the next one's reads in the CRM store are made (its
            // parents, its duplicate check), and the one after it is read, scrubbed and validated.
            Callable<Prepared> readBatch = () -> {
                long started = System.nanoTime();
                List<List<CsvRecords.Row>> batch = new ArrayList<>(c.job.batchSize());
                while (batch.size() < c.job.batchSize() && records.hasNext()) {
                    batch.add(records.next());
                }
                Prepared prepared = batch.isEmpty() ? null : prepare(step, mapper, batch, c.version, scattered);
                c.readingNanos.add(System.nanoTime() - started);
                return prepared;
            };
            // A real run may write two batches at once, each in its transaction, committed in
            // order: a batch goes beside the one before when it does not depend on it (see
            // beside), else after its commit, as with one writer. It then also reads two batches
            // ahead at once: each check read ahead alone was the slowest stage of the steps that
            // look up keys. A check read ahead is started once the batches a batch written now
            // cannot go beside have committed; what it may not have seen of the run's batches is
            // the last ones settled (recent) and the one beside.
            boolean two = !c.run.dryRun() && c.job.writers() > 1;
            int readingAheadAtOnce = two ? 2 : 1;
            Future<Prepared> read = executor.submit(readBatch);
            java.util.ArrayDeque<Future<Prepared>> next = new java.util.ArrayDeque<>();
            for (int i = 0; i < readingAheadAtOnce; i++) {
                next.add(readingAhead(c, writer, read));
                read = readAfter(read, readBatch);
            }
            long waited = 0;
            Writing last = null;
            java.util.ArrayDeque<Writing> open = new java.util.ArrayDeque<>();
            java.util.ArrayDeque<Writing> recent = new java.util.ArrayDeque<>();
            try {
                while (true) {
                    long before = System.nanoTime();
                    Prepared batch = ahead(next.poll());
                    waited += System.nanoTime() - before;
                    if (batch == null) {
                        break;
                    }
                    boolean besideLast = two && last != null && beside(step, last, batch);
                    while (open.size() > (besideLast ? 1 : 0)) {
                        settled(c, open.poll(), recent, readingAheadAtOnce + 1);
                    }
                    next.add(readingAhead(c, writer, read));
                    read = readAfter(read, readBatch);
                    if (two) {
                        Writing w = new Writing(batch);
                        Writing after = last;
                        List<Writing> committed = List.copyOf(recent);
                        executor.submit(() -> write(c, step, writer, batch, w, after, besideLast, committed));
                        open.add(w);
                        last = w;
                    } else {
                        apply(c, step, writer, batch);
                    }
                    logProgress(c, step, source, doneAtStart, false);
                    if (Thread.currentThread().isInterrupted()) {
                        throw Abandon.stopping();
                    }
                }
                while (!open.isEmpty()) {
                    settled(c, open.poll(), recent, readingAheadAtOnce + 1);
                }
            } finally {
                // No transaction of the step stays open once it ends, and the run's progress is
                // that of its last commit: a step opened again (its source was out) reads on after it.
                boolean inOrder = true;
                for (Writing w : open) {
                    Pending p = w.committed.handle((done, e) -> done).join();
                    inOrder &= p != null;
                    if (inOrder) {
                        c.progress = p.progress();
                        c.indexed = p.written().indexed();
                    }
                }
                // the source closes once the batches being read ahead are done with it
                next.add(read);
                for (Future<Prepared> f : next) {
                    try {
                        f.get();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } catch (ExecutionException | java.util.concurrent.CancellationException ignored) {
                        // a batch nobody will write: the failure that matters is the one thrown above
                    }
                }
            }
            logProgress(c, step, source, doneAtStart, true);
            long checked = c.checked.sum();
            long candidates = c.candidates.sum();
            LOG.info("Migration {} step {}: {} s reading and scrubbing, {} s reading ahead in the store; the writer waited {} s of {} s "
                            + "for batches read ahead; their duplicate check compared {} new records with {} candidates ({} per record); "
                            + "{} batches written beside the one before, {} of them again after it", c.job.name(), step.name(),
                    Math.round(c.readingNanos.sum() / 1e8) / 10.0, Math.round(c.checkingNanos.sum() / 1e8) / 10.0,
                    Math.round(waited / 1e8) / 10.0, Math.round((System.nanoTime() - c.stepStartedNanos) / 1e8) / 10.0,
                    checked, candidates, checked == 0 ? 0 : Math.round(10.0 * candidates / checked) / 10.0,
                    c.besideWritten.sum() + c.besideAgain.sum(), c.besideAgain.sum());
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            throw new IllegalStateException("step " + step.name() + ": " + e.getMessage(), e);
        }
        MigrationProgress next = c.progress.nextStep();
        throughOutages(c, () -> {
            bookkeeping(c.run, () -> save(c.run, next));
            return next;
        });
        c.progress = next;
    }

    /** The store's reads of the batch being read (see {@link #readAhead}), made once it is read; null at the end. */
    private Future<Prepared> readingAhead(Context c, CrmWriter writer, Future<Prepared> reading) {
        return executor.submit(() -> {
            Prepared batch = done(reading);
            return batch == null ? null : readAhead(c, writer, batch);
        });
    }

    /** The batch after the one being read: the source is read one batch after the other. */
    private Future<Prepared> readAfter(Future<Prepared> reading, Callable<Prepared> readBatch) {
        return executor.submit(() -> done(reading) == null ? null : readBatch.call());
    }

    /** A stage's result, or the failure of its work as it was thrown. */
    private static Prepared done(Future<Prepared> stage) throws Exception {
        try {
            return stage.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    /** The batch read ahead, or null at the end of the source; a failure to read it is this thread's. */
    private static Prepared ahead(Future<Prepared> next) throws java.io.IOException {
        try {
            return next.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Abandon.stopping();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof java.io.IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /**
     * The records of a file step with detail lines whose rows are apart in the file, found by
     * reading it once before the step (a table is read joined and sorted by its key: never).
     */
    private Set<String> scattered(Context c, MigrationJob.Step step) throws java.io.IOException {
        if (step.mapping().lines() == null || step.source().kind() == MigrationJob.Kind.JDBC) {
            return Set.of();
        }
        try (SourceReader all = SourceReader.open(step, erp)) {
            Set<String> keys = RecordGroups.scattered(all, step.mapping());
            if (!keys.isEmpty()) {
                LOG.warn("Migration {} step {}: {} {}s have their rows apart in {} (it is not sorted by {}); each is refused whole",
                        c.job.name(), step.name(), keys.size(), step.entity(), step.source().path(), step.mapping().keyColumn());
            }
            return keys;
        }
    }

    /** A batch read, scrubbed and validated, ready to be written; with its reads in the CRM store made ahead (or null). */
    private record Prepared(int records, int rows, List<MappedRecord> valid, List<CsvRecords.Row> validRows, List<Rejected> rejected,
                            Map<String, Long> failedFields, long quarantined, CrmWriter.Ahead ahead) {

        Prepared with(CrmWriter.Ahead ahead) {
            return new Prepared(records, rows, valid, validRows, rejected, failedFields, quarantined, ahead);
        }
    }

    /**
     * Makes a batch's reads in the CRM store ahead of its transaction (see
     * {@link CrmWriter#readAhead}). Not for a dry run: its own earlier batches are written in its
     * transaction, which a read beside it does not see. Should the store be out, the batch's
     * transaction reads for itself, once the store is back.
     */
    private Prepared readAhead(Context c, CrmWriter writer, Prepared batch) {
        if (c.run.dryRun() || batch.valid().isEmpty()) {
            return batch;
        }
        long started = System.nanoTime();
        try {
            CrmWriter.Ahead ahead = writer.readAhead(batch.valid());
            c.checkingNanos.add(System.nanoTime() - started);
            if (ahead != null && ahead.checked() != null) {
                c.checked.add(ahead.checked().compared().size());
                ahead.checked().compared().forEach(ids -> c.candidates.add(ids.size()));
            }
            return batch.with(ahead);
        } catch (RuntimeException e) {
            if (!Outages.isOutage(e)) {
                throw e;
            }
            LOG.debug("Migration {}: the CRM store is out, the batch will read in its transaction", c.job.name(), e);
            return batch;
        }
    }

    /** Reads, scrubs and validates a batch: pure work, no database. */
    private Prepared prepare(MigrationJob.Step step, RecordMapper mapper, List<List<CsvRecords.Row>> groups, Instant version,
                             Set<String> scattered) {
        EntityMapping mapping = step.mapping();
        List<MappedRecord> valid = new ArrayList<>(groups.size());
        List<CsvRecords.Row> validRows = new ArrayList<>(groups.size());
        List<Rejected> rejected = new ArrayList<>();
        Map<String, Long> failedFields = new TreeMap<>();
        long quarantined = 0;
        int rows = 0;
        for (List<CsvRecords.Row> group : groups) {
            rows += group.size();
            CsvRecords.Row row = group.get(0);
            List<Violation> problems = new ArrayList<>();
            SourceRecord record = sourceRecord(mapping, row, version, problems);
            if (record != null && scattered.contains(record.externalId())) {
                problems.add(new Violation(ReasonCode.SPLIT_RECORD, "*", "the rows of " + mapping.entity() + " " + record.externalId()
                        + " are apart in the source (not sorted by " + mapping.keyColumn() + "): refused whole, not loaded with part of its lines"));
                record = null;
            }
            if (record != null && mapping.lines() != null) {
                record = record.withLines(lines(mapping, group));
            }
            MappedRecord mapped = record == null ? null : mapper.map(record);
            if (mapped != null) {
                problems.addAll(mapped.violations());
            }
            if (problems.isEmpty()) {
                valid.add(mapped);
                validRows.add(row);
                continue;
            }
            quarantined++;
            Set<String> fields = new LinkedHashSet<>();
            String payload = payload(group);
            String sourceId = row.values().get(mapping.keyColumn());
            for (Violation v : problems) {
                String field = v.field().replaceFirst("^lines\\[\\d+]\\.", "lines.");
                fields.add(field);
                FieldRule rule = mapping.fields().get(v.field());
                rejected.add(new Rejected(step.name(), "QUARANTINED", sourceId, row.line(), v.field(), v.code() + ": " + v.message(),
                        rule == null ? null : row.values().get(rule.column()), payload));
            }
            fields.forEach(f -> failedFields.merge(f, 1L, Long::sum));
        }
        return new Prepared(groups.size(), rows, valid, validRows, rejected, failedFields, quarantined, null);
    }

    /** Writes a prepared batch and records it in the run. */
    private void apply(Context c, MigrationJob.Step step, CrmWriter writer, Prepared batch) {
        // what was read ahead serves the first try only: a batch tried again reads for itself
        CrmWriter.Ahead[] ahead = {batch.ahead()};
        bookkeepingOrBatch(c, () -> {
            CrmWriter.Batch written = writer.applyInTransaction(batch.valid(), ahead[0], c.indexed);
            ahead[0] = null;
            return pending(step, batch, written, c.progress);
        });
        stopAtThreshold(c);
    }

    private void stopAtThreshold(Context c) {
        if (c.progress.failed() > c.job.stopAfterFailures()) {
            throw new StopThreshold(c.progress.failed() + " records refused, more than the job's limit of " + c.job.stopAfterFailures());
        }
    }

    /** What a written batch adds to the run's progress ({@code before}), and its refused records. */
    private static Pending pending(MigrationJob.Step step, Prepared batch, CrmWriter.Batch written, MigrationProgress before) {
        List<MappedRecord> valid = batch.valid();
        List<CsvRecords.Row> validRows = batch.validRows();
        Map<String, Long> failedFields = new TreeMap<>(batch.failedFields());
        List<CrmWriter.Applied> applied = written.applied();
        long created = 0;
        long merged = 0;
        long updated = 0;
        long unchanged = 0;
        long repeated = 0;
        long missing = 0;
        List<Rejected> parentless = new ArrayList<>();
        for (int i = 0; i < applied.size(); i++) {
            switch (applied.get(i).outcome()) {
                case CREATED -> created++;
                case LINKED -> merged++;
                case UPDATED, CONFLICT -> updated++;
                case UNCHANGED -> unchanged++;
                case DUPLICATE, STALE -> repeated++;
                case WAITING -> {
                    missing++;
                    Rejected m = missingParent(step, valid.get(i), validRows.get(i));
                    parentless.add(m);
                    // a pointer to a parent the CRM does not hold is a fault of the pointer field
                    failedFields.merge(m.field() == null ? "*" : m.field(), 1L, Long::sum);
                }
            }
        }
        StepCounts counts = new StepCounts(step.name(), step.entity(), batch.rows(), batch.records(), created, merged, updated,
                unchanged, repeated, batch.quarantined(), missing, failedFields);
        List<Rejected> all = new ArrayList<>(batch.rejected());
        all.addAll(parentless);
        return new Pending(before.plus(counts), all, written);
    }

    /** A batch's new progress and its refused records, to be stored with it; what its transaction did. */
    private record Pending(MigrationProgress progress, List<Rejected> rejected, CrmWriter.Batch written) {
    }

    /**
     * A batch handed to the writers (two at once, see {@link MigrationJob#writers}): what its
     * transaction left once it committed, and the PostgreSQL process of its current try.
     */
    private static final class Writing {
        /** its records' source ids, and the blocking keys of those its check looked at (null: unknown) */
        final Set<String> ids = new java.util.HashSet<>();
        final Set<String> keys;
        /** what it committed (its refused records stored, not kept: a run's memory stays flat) */
        final CompletableFuture<Pending> committed = new CompletableFuture<>();
        volatile int backend;

        Writing(Prepared batch) {
            batch.valid().forEach(r -> ids.add(r.source().externalId()));
            if (batch.valid().isEmpty()) {
                keys = Set.of();
            } else if (batch.ahead() == null || batch.ahead().subjects() == null) {
                keys = null;
            } else {
                keys = new java.util.HashSet<>();
                batch.ahead().subjects().forEach(subject -> keys.addAll(subject.keys()));
            }
        }
    }

    /** The batch before this one did not commit: this one must not either. */
    private static final class BeforeFailed extends RuntimeException {

        BeforeFailed(Throwable cause) {
            super("the batch before did not commit", cause, false, false);
        }
    }

    /**
     * Writes a batch on a thread of its own, its transaction beside the one before it where it can
     * be ({@link #beside}), and commits it after that one: the run's progress stays in source
     * order, so a resumed run reads on after its last batch as with one writer. {@code committed}
     * holds what the run's earlier transactions the batch's check may not have seen indexed.
     */
    private void write(Context c, MigrationJob.Step step, CrmWriter writer, Prepared batch, Writing w, Writing before,
                       boolean beside, List<Writing> settled) {
        try {
            Pending p = writeAfter(c, step, writer, batch, w, before, beside, settled);
            w.committed.complete(new Pending(p.progress(), List.of(), p.written()));
        } catch (Throwable e) {
            w.committed.completeExceptionally(e);
        }
    }

    /**
     * @param before  the batch before (null: none in this step)
     * @param beside  whether this one may be written beside it
     * @param settled the run's last batches known to have committed, in order: what they indexed
     *                the check read ahead may not have seen
     */
    private Pending writeAfter(Context c, MigrationJob.Step step, CrmWriter writer, Prepared batch, Writing w, Writing before,
                               boolean beside, List<Writing> settled) {
        CrmWriter.Ahead ahead = batch.ahead();
        List<CrmDuplicates.Indexed> committed = new ArrayList<>();
        settled.forEach(s -> committed.add(s.committed.join().written().indexed()));
        if (beside && !before.committed.isDone()) {
            try {
                Pending p = tx.execute(t -> {
                    int mine = backend(w);
                    CrmWriter.Batch written = writer.applyInTransaction(batch.valid(), batch.ahead(),
                            new CrmWriter.Before(committed, () -> awaited(c, before, mine).written()));
                    Pending done = pending(step, batch, written, awaited(c, before, mine).progress());
                    store(c, done);
                    return done;
                });
                c.besideWritten.increment();
                return p;
            } catch (BeforeFailed e) {
                throw e;
            } catch (RuntimeException e) {
                // rolled back: written again once the batch before committed, reading for itself
                c.besideAgain.increment();
                LOG.info("Migration {}: batch written again after the one before: {}", c.job.name(), e.getMessage());
                ahead = null;
            }
        }
        Pending last = before == null ? null : awaited(c, before, 0);
        List<CrmDuplicates.Indexed> previous = new ArrayList<>(committed);
        if (last != null && !settled.contains(before)) {
            previous.add(last.written().indexed());
        }
        MigrationProgress from = last == null ? c.progress : last.progress();
        CrmWriter.Ahead[] first = {ahead};
        return deadlockVictimAgain(c, () -> batchTransaction(c, () -> {
            backend(w);
            CrmWriter.Batch written = writer.applyInTransaction(batch.valid(), first[0], new CrmWriter.Before(previous, null));
            first[0] = null;
            return pending(step, batch, written, from);
        }));
    }

    /**
     * Runs a batch's transaction again when PostgreSQL ended it as the victim of a deadlock (with
     * the batch beside it, which two batches sharing no source id can only meet on records both
     * change): the other has gone on meanwhile, or gives way once this one waits for it.
     */
    private static <T> T deadlockVictimAgain(Context c, java.util.function.Supplier<T> transaction) {
        for (int attempt = 1; ; attempt++) {
            try {
                return transaction.get();
            } catch (org.springframework.dao.PessimisticLockingFailureException e) {
                if (attempt == 5) {
                    throw e;
                }
                LOG.info("Migration {}: batch rolled back as a deadlock's victim, trying again: {}", c.job.name(), e.getMessage());
            }
        }
    }

    /** Whether a batch can be written beside the one before it: they share no source id and no blocking key. */
    private static boolean beside(MigrationJob.Step step, Writing before, Prepared batch) {
        if (batch.ahead() == null || step.mapping().references().values().stream().anyMatch(step.entity()::equalsIgnoreCase)) {
            // a parent in the batch before would not be seen
            return false;
        }
        if (batch.valid().stream().anyMatch(r -> before.ids.contains(r.source().externalId()))) {
            return false;
        }
        CrmDuplicates.Checked checked = batch.ahead().checked();
        if (checked == null) {
            return true;
        }
        return before.keys != null && before.keys.stream().noneMatch(checked.seen()::containsKey);
    }

    /** This transaction's PostgreSQL process, for the batch after it to watch. */
    private int backend(Writing w) {
        w.backend = jdbc.queryForObject("select pg_backend_pid()", Integer.class);
        return w.backend;
    }

    /**
     * Waits for the batch before to commit. From a transaction beside it ({@code mine}: its
     * PostgreSQL process, else 0): should the other wait for a lock this one holds, this one gives
     * way ({@link CrmWriter.DependsOnBatchBeside}), as neither would end otherwise.
     */
    private Pending awaited(Context c, Writing before, int mine) {
        while (true) {
            try {
                Pending p = before.committed.get(100, TimeUnit.MILLISECONDS);
                if (p.progress().failed() > c.job.stopAfterFailures()) {
                    throw new BeforeFailed(new StopThreshold("the run stops after the batch before"));
                }
                return p;
            } catch (java.util.concurrent.TimeoutException e) {
                int other = before.backend;
                if (mine != 0 && other != 0 && Boolean.TRUE.equals(
                        jdbc.queryForObject("select ? = any(pg_blocking_pids(?))", Boolean.class, mine, other))) {
                    throw new CrmWriter.DependsOnBatchBeside("the batch beside it waits for a lock this one holds");
                }
            } catch (ExecutionException e) {
                throw new BeforeFailed(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw Abandon.stopping();
            }
        }
    }

    /**
     * As {@link #settled(Context, Writing)}; {@code recent} keeps the last {@code kept} batches
     * settled: a check read ahead may have missed as many of the run's batches before its own. It
     * was started while the batches read ahead before it were still to be written, and the one
     * before those may have been written beside the one before that.
     */
    private void settled(Context c, Writing w, java.util.Deque<Writing> recent, int kept) {
        settled(c, w);
        recent.add(w);
        if (recent.size() > kept) {
            recent.poll();
        }
    }

    /** A batch's transaction, once it committed: the run's progress moves on; its failure is thrown here. */
    private void settled(Context c, Writing w) {
        try {
            Pending p = w.committed.get();
            c.progress = p.progress();
            c.indexed = p.written().indexed();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Abandon.stopping();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof BeforeFailed b ? b.getCause() : e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(cause);
        }
        stopAtThreshold(c);
    }

    /**
     * Writes a batch, and stores its progress and refused records: in one transaction for a real
     * run; for a dry run, the writes go into the run's transaction and the bookkeeping beside it.
     */
    private void bookkeepingOrBatch(Context c, java.util.function.Supplier<Pending> writes) {
        if (c.run.dryRun()) {
            Pending p = writes.get();
            bookkeeping(c.run, () -> store(c, p));
            c.progress = p.progress();
        } else {
            Pending p = batchTransaction(c, writes);
            c.progress = p.progress();
            c.indexed = p.written().indexed();
        }
    }

    /**
     * A real run's batch: its writes and its progress and refused records in one transaction,
     * tried again while the store is out, or when another writer committed a duplicate meanwhile.
     */
    private Pending batchTransaction(Context c, java.util.function.Supplier<Pending> writes) {
        return throughOutages(c, () -> ConcurrentDuplicateException.retrying(() -> tx.execute(t -> {
            Pending done = writes.get();
            store(c, done);
            return done;
        })));
    }

    /**
     * Runs a batch's transaction, and again while the CRM store is out (a restart, a fail-over, no
     * free connection): the run waits for the store, as the sync's consumers do, instead of failing
     * and being taken over once its lease has run out. Nothing of a failed try stays (it rolled
     * back). Meanwhile the run shows what it waits for ({@link Running#waitingFor}). Should another
     * node take the run over meanwhile, this one learns it at the next save and leaves it.
     */
    private <T> T throughOutages(Context c, java.util.function.Supplier<T> transaction) {
        OutageWait out = new OutageWait(c);
        while (true) {
            try {
                T result = transaction.get();
                out.over();
                return result;
            } catch (RuntimeException e) {
                if (!Outages.isOutage(e)) {
                    throw e;
                }
                out.failed("the CRM store", e);
            }
        }
    }

    /**
     * The waits of a run while a system it needs is out: 0.5 s after the first failed try, doubling
     * to at most 30 s; shown on the run ({@link Running#waitingFor}) until a try goes through.
     */
    private final class OutageWait {

        private final Context c;
        private String system;
        private Instant since;
        private Duration wait = OUTAGE_FIRST_WAIT;
        private int tries;

        OutageWait(Context c) {
            this.c = c;
        }

        /** A try failed because {@code system} is out: shows it, then waits before the next. */
        void failed(String system, RuntimeException e) {
            this.system = system;
            since = since == null ? clock.instant() : since;
            tries++;
            String why = system + " is out since " + since + " (" + tries + (tries == 1 ? " try" : " tries") + "): " + e.getMessage();
            running.computeIfPresent(c.run.id(), (id, r) -> r.waiting(why));
            LOG.warn("Migration {}: batch not written, {}; trying again in {}", c.job.name(), why, wait);
            try {
                TimeUnit.MILLISECONDS.sleep(wait.toMillis());
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                throw Abandon.stopping();
            }
            wait = wait.multipliedBy(2);
            if (wait.compareTo(OUTAGE_LONGEST_WAIT) > 0) {
                wait = OUTAGE_LONGEST_WAIT;
            }
        }

        /** A try went through: if the run waited, it no longer does. */
        void over() {
            if (since == null) {
                return;
            }
            LOG.info("Migration {}: {} is back after {} tries since {}; the run goes on", c.job.name(), system, tries + 1, since);
            running.computeIfPresent(c.run.id(), (id, r) -> r.waiting(null));
            since = null;
            tries = 0;
            wait = OUTAGE_FIRST_WAIT;
        }
    }

    private void store(Context c, Pending p) {
        runs.reject(c.run.id(), p.rejected());
        save(c.run, p.progress());
    }

    private void save(Run run, MigrationProgress progress) {
        if (!runs.saveProgress(run, progress, lease)) {
            throw new Abandon("another node took the run over");
        }
    }

    /** Real run: in the batch's transaction, or one of its own between steps. Dry run: always beside the run's transaction. */
    private void bookkeeping(Run run, Runnable work) {
        (run.dryRun() ? txNew : tx).executeWithoutResult(t -> work.run());
    }

    private static Rejected missingParent(MigrationJob.Step step, MappedRecord record, CsvRecords.Row row) {
        for (Map.Entry<String, String> ref : step.mapping().references().entrySet()) {
            String key = record.text(ref.getKey());
            if (key != null) {
                return new Rejected(step.name(), "MISSING_PARENT", record.source().externalId(), row.line(), ref.getKey(),
                        "MISSING_PARENT: " + ref.getValue() + " " + key + " is not in the CRM; the record waits for it",
                        key, null);
            }
        }
        return new Rejected(step.name(), "MISSING_PARENT", record.source().externalId(), row.line(), null, "MISSING_PARENT", null, null);
    }

    /** The record as the source gave it, or null with the reason it cannot even be that. */
    private static SourceRecord sourceRecord(EntityMapping mapping, CsvRecords.Row row, Instant version, List<Violation> problems) {
        if (row.problem() != null) {
            problems.add(new Violation(ReasonCode.UNREADABLE, "*", row.problem()));
            return null;
        }
        String key = row.values().get(mapping.keyColumn());
        if (key == null || key.isBlank()) {
            problems.add(new Violation(ReasonCode.REQUIRED, "*",
                    "the key column " + mapping.keyColumn() + " is empty"));
            return null;
        }
        Instant changedAt = version;
        String changed = mapping.changedAtColumn() == null ? null : row.values().get(mapping.changedAtColumn());
        if (changed != null && !changed.isBlank()) {
            try {
                changedAt = changed.endsWith("Z") ? Instant.parse(changed)
                        : LocalDateTime.parse(changed.strip().replace(' ', 'T')).toInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException e) {
                problems.add(new Violation(ReasonCode.INVALID_FORMAT, "*",
                        mapping.changedAtColumn() + " '" + changed + "' is not a date-time"));
                return null;
            }
        }
        return new SourceRecord(mapping.source(), mapping.entity(), key.strip(), changedAt, row.values());
    }

    /** The record's detail lines: the group's rows that fill any line field (a record without lines has one empty row). */
    private static List<Map<String, String>> lines(EntityMapping mapping, List<CsvRecords.Row> group) {
        List<Map<String, String>> lines = new ArrayList<>(group.size());
        for (CsvRecords.Row r : group) {
            boolean any = mapping.lines().fields().values().stream()
                    .anyMatch(rule -> { String v = r.values().get(rule.column()); return v != null && !v.isBlank(); });
            if (any) {
                lines.add(r.values());
            }
        }
        return lines;
    }

    /** The original record: its row, or for a record with lines its rows. */
    private String payload(List<CsvRecords.Row> group) {
        try {
            return json.writeValueAsString(group.size() == 1 ? group.get(0).values()
                    : Map.of("rows", group.stream().map(CsvRecords.Row::values).toList()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Logs (every few seconds) and publishes the run's progress; the ETA is the step's, from its share of the source read. */
    private void logProgress(Context c, MigrationJob.Step step, SourceReader source, double doneAtStart, boolean stepDone) {
        long now = System.nanoTime();
        double seconds = Math.max(1e-3, (now - c.startedNanos) / 1e9);
        long read = c.progress.read();
        double rate = (read - c.readAtStart) / seconds;
        double done = source.done();
        double stepSeconds = (now - c.stepStartedNanos) / 1e9;
        Duration eta = done <= doneAtStart || done >= 1 ? Duration.ZERO
                : Duration.ofSeconds((long) (stepSeconds * (1 - done) / (done - doneAtStart)));
        running.put(c.run.id(), new Running(c.run.id(), c.job.name(), c.run.dryRun(), step.name(), read, rate, done, eta, null));
        if (stepDone || now - c.lastLog > PROGRESS_LOG_EVERY.toNanos()) {
            c.lastLog = now;
            StepCounts s = c.progress.current();
            LOG.info("Migration {} step {}{}: {} read ({} % of the source), {} created, {} merged, {} quarantined; {} records/s{}",
                    c.job.name(), step.name(), stepDone ? " done" : "", s.read(), Math.round(done * 100), s.created(), s.merged(),
                    s.quarantined(), Math.round(rate), stepDone ? "" : ", ETA of the step " + eta);
        }
    }

    private MigrationReport report(MigrationJob job, Run run, MigrationProgress progress, String status, String reason, Duration took) {
        Map<String, Set<String>> critical = new LinkedHashMap<>();
        for (MigrationJob.Step s : job.steps()) {
            Set<String> fields = new LinkedHashSet<>();
            s.mapping().fields().forEach((field, rule) -> {
                if (rule.required() || rule.type() == FieldType.REFERENCE) {
                    fields.add(field);
                }
            });
            critical.merge(s.entity(), fields, (a, b) -> {
                Set<String> all = new HashSet<>(a);
                all.addAll(b);
                return all;
            });
        }
        QualityScorecard scorecard = new QualityScorecard(QualityScorecard.Thresholds.PRACTICE, critical);
        for (StepCounts s : progress.steps()) {
            if (s.read() > 0) {
                scorecard.add(s.entity(), s.read(), s.quarantined() + s.missingParent(), s.failedFields());
            }
        }
        long missing = progress.steps().stream().mapToLong(StepCounts::missingParent).sum();
        return new MigrationReport(run.id(), job.name(), run.dryRun(), status, reason, run.startedAt().toInstant(), clock.instant(),
                took.toMillis() / 1000.0, progress.steps(), scorecard.lines(), scorecard.passed(), progress.failed(), runs.reasonCounts(run.id()), missing,
                runs.rejected(run.id(), "MISSING_PARENT", MigrationReport.MISSING_PARENTS_SHOWN),
                reportBaseUrl + "/runs/" + run.id() + "/rejected.csv");
    }

    private void mail(MigrationJob job, MigrationReport report) {
        if (mailer == null || job.owner() == null || job.owner().isBlank()) {
            return;
        }
        try {
            mailer.send(job.owner(), (report.dryRun() ? "Dry run " : "Migration ") + job.name() + ": " + report.status(),
                    report.text() + "\nThe report: " + reportBaseUrl + "/runs/" + report.runId() + "/report\n",
                    "migration-" + report.runId());
        } catch (RuntimeException e) {
            LOG.warn("Migration {}: the report could not be mailed to {} ({}); it stays at {}/runs/{}/report", job.name(),
                    job.owner(), e.getMessage(), reportBaseUrl, report.runId());
        }
    }
}
