package io.crmhub.connectors.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.ConfigCopy;
import io.crmhub.connectors.config.MappingConfiguration;
import io.crmhub.connectors.config.MatchingConfiguration;
import io.crmhub.connectors.crm.CrmStoreConfiguration;
import io.crmhub.connectors.crm.WaitingRecords;
import io.crmhub.connectors.migration.LegacyMigrations;
import io.crmhub.connectors.migration.MigrationJob;
import io.crmhub.connectors.migration.MigrationProgress.StepCounts;
import io.crmhub.connectors.migration.MigrationReport;
import io.crmhub.connectors.migration.MigrationRuns;
import io.crmhub.embedded.LegacyExports;
import io.crmhub.embedded.PostgresStatements;
import io.crmhub.embedded.ProcessCpu;
import io.crmhub.embedded.TestServices;
import io.crmhub.transformers.match.Matcher;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The legacy migration end to end on a synthetic export (accounts as an ISO-8859-1 CSV with dirt
 * and second entries, contacts as Windows-1252 fixed width with missing parents and blanks, orders
 * with their lines as CSV with missing parents and unreadable quantities),
 * against a plain COPY of the same final rows in the same run. Peak heap is the JVM's (run it
 * with {@code -Xmx512m}). Not part of the test suite: run bench/legacy-migration.
 */
class MigrationBench {

    private static final int ACCOUNTS = Integer.getInteger("bench.accounts", 100_000);
    private static final int CONTACTS = Integer.getInteger("bench.contacts", 2 * ACCOUNTS);
    private static final int ORDERS = Integer.getInteger("bench.orders", 2 * ACCOUNTS);

    @Test
    void measure() throws Exception {
        Path dir = Files.createTempDirectory("migration-bench");
        Path config = ConfigCopy.of(dir.resolve("config"));
        Path accounts = dir.resolve("accounts.csv");
        Path contacts = dir.resolve("contacts.txt");
        LegacyExports.Manifest manifest = LegacyExports.accountsCsv(accounts, ACCOUNTS, ACCOUNTS / 100, ACCOUNTS / 20, 1,
                StandardCharsets.ISO_8859_1);
        LegacyExports.contactsFixedWidth(contacts, CONTACTS, ACCOUNTS, 2, java.nio.charset.Charset.forName("windows-1252"));
        Path orders = dir.resolve("orders.csv");
        LegacyExports.Orders orderFile = LegacyExports.ordersCsv(orders, ORDERS, ACCOUNTS, 3, StandardCharsets.UTF_8);
        Files.writeString(config.resolve("migrations/bench.yml"), """
                batch-size: %d
                stop-after-failures: %d
                writers: %d
                steps:
                  - name: accounts
                    mapping: legacy-account
                    source: { type: csv, path: "%s", encoding: auto }
                  - name: contacts
                    mapping: legacy-contact
                    source: { type: fixed-width, path: "%s", encoding: windows-1252, layout: legacy-contact }
                  - name: orders
                    mapping: legacy-order
                    source: { type: csv, path: "%s", encoding: UTF-8 }
                """.formatted(Integer.getInteger("bench.batch", 1000), ACCOUNTS + CONTACTS + ORDERS, Integer.getInteger("bench.writers", 2), accounts, contacts, orders));
        System.out.printf("BENCH export: %,d accounts (%,d invalid, %,d second entries), %,d contacts, %,d orders with %,d lines; "
                + "files %,d + %,d + %,d bytes%n", ACCOUNTS, manifest.invalid().size(), manifest.duplicateOf().size(), CONTACTS, ORDERS,
                orderFile.lines(), Files.size(accounts), Files.size(contacts), Files.size(orders));

        try (HikariDataSource crm = TestServices.newCrmDataSource()) {
            CrmStoreConfiguration.migrate(crm);
            JdbcTemplate jdbc = new JdbcTemplate(crm);
            ObjectMapper json = new ObjectMapper().registerModule(new JavaTimeModule());
            System.gc();
            ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
            // The heap in use, sampled, and what the old generation held after each collection. G1
            // counts a young collection as one of the old generation's: what it held then includes
            // what died after its promotion, until a mixed or full collection frees it, so it is not
            // the live data. With -Dbench.live-every=N (seconds) a full collection is forced every N
            // seconds and the heap it leaves measured: the live data, at the cost of those pauses.
            long[] peaks = new long[3];
            java.util.concurrent.ScheduledExecutorService sampler = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
            sampler.scheduleAtFixedRate(() -> {
                peaks[0] = Math.max(peaks[0], ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
                for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
                    if (p.getType() == MemoryType.HEAP && p.getCollectionUsage() != null && p.getName().contains("Old")) {
                        peaks[1] = Math.max(peaks[1], p.getCollectionUsage().getUsed());
                    }
                }
            }, 0, 50, java.util.concurrent.TimeUnit.MILLISECONDS);
            int liveEvery = Integer.getInteger("bench.live-every", 0);
            if (liveEvery > 0) {
                sampler.scheduleAtFixedRate(() -> {
                    System.gc();
                    peaks[2] = Math.max(peaks[2], ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
                }, liveEvery, liveEvery, java.util.concurrent.TimeUnit.SECONDS);
            }
            PostgresStatements.reset(crm);
            long started = System.nanoTime();
            long jvmCpu = ProcessCpu.jvmNanos();
            long postgresCpu = ProcessCpu.postgresNanos();
            MigrationReport report = run(crm, jdbc, json, config);
            double migration = (System.nanoTime() - started) / 1e9;
            double jvmMicros = (ProcessCpu.jvmNanos() - jvmCpu) / 1e3;
            double postgresMicros = (ProcessCpu.postgresNanos() - postgresCpu) / 1e3;
            sampler.shutdown();
            sampler.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(report.status()).isEqualTo("SUCCEEDED");
            long read = report.steps().stream().mapToLong(StepCounts::read).sum();
            PostgresStatements.print(crm, "the migration", 25, read, "record");
            for (StepCounts s : report.steps()) {
                System.out.printf("BENCH %-8s read %,d created %,d merged %,d quarantined %,d missing parent %,d%n", s.name(), s.read(),
                        s.created(), s.merged(), s.quarantined(), s.missingParent());
            }
            for (Map<String, Object> k : jdbc.queryForList("""
                    select entity_type, count(*) as keys, sum(n)::bigint as rows, count(*) filter (where n > 50) as common,
                           coalesce(sum(n) filter (where n > 50), 0)::bigint as common_rows, coalesce(sum(n - 51) filter (where n > 51), 0)::bigint as beyond
                    from (select case when a.id is null then 'CONTACT' else 'ACCOUNT' end as entity_type, count(*) as n
                          from match_key m left join account a on a.id = m.crm_id group by m.key_hash, 1) k group by 1 order by 1""")) {
                System.out.printf("BENCH blocking keys %-7s %,d rows under %,d keys; %,d keys held by more than 50 records hold %,d rows, "
                        + "%,d of them beyond the 51st%n", k.get("entity_type"), k.get("rows"), k.get("keys"), k.get("common"),
                        k.get("common_rows"), k.get("beyond"));
            }
            long finalRows = rows(jdbc, BUSINESS_TABLES);
            double copy = copyAll(crm, BUSINESS_TABLES, "defaults");
            long allRows = rows(jdbc, ALL_TABLES);
            double copyAll = copyAll(crm, ALL_TABLES, "all");
            // the same without the foreign keys, as this bench measured it until 2026-12-08
            double copyUnchecked = Boolean.getBoolean("bench.copy-unchecked") ? copyAll(crm, ALL_TABLES, "unchecked") : 0;
            System.out.printf("BENCH migration: %,d records read in %.1f s = %,.0f records/s; heap in use at most %,d MB, "
                    + "old generation after GC at most %,d MB (limit %,d MB)%n", read, migration, read / migration, peaks[0] >> 20,
                    peaks[1] >> 20, Runtime.getRuntime().maxMemory() >> 20);
            if (liveEvery > 0) {
                System.out.printf("BENCH   live data (heap in use after a full collection, forced every %d s) at most %,d MB%n", liveEvery,
                        peaks[2] >> 20);
            }
            System.out.printf("BENCH   CPU per record read: migration JVM %.0f us, PostgreSQL %.0f us (2 cores: at most %,.0f records/s)%n",
                    jvmMicros / read, postgresMicros / read, 2e6 / ((jvmMicros + postgresMicros) / read));
            System.out.printf("BENCH COPY of the same %,d final rows (accounts, contacts, orders, order lines) into tables without "
                    + "indexes or constraints: %.1f s = %,.0f rows/s%n", finalRows, copy, finalRows / copy);
            System.out.printf("BENCH ratio: the migration runs at %.1f %% of COPY speed (aim: 50 %%)%n", 100 * copy / migration);
            System.out.printf("BENCH COPY of every row the migration left (%,d: the above with cross-references, blocking keys, outbox "
                    + "events, processed keys, waiting and refused records) into tables with the same indexes, checks and foreign keys: "
                    + "%.1f s = %,.0f rows/s; the migration runs at %.1f %% of it%n", allRows, copyAll, allRows / copyAll, 100 * copyAll / migration);
            if (copyUnchecked > 0) {
                System.out.printf("BENCH COPY of every row the migration left into tables with the same indexes and checks, without the "
                        + "foreign keys: %.1f s = %,.0f rows/s; the migration runs at %.1f %% of it%n", copyUnchecked,
                        allRows / copyUnchecked, 100 * copyUnchecked / migration);
            }

            if (Boolean.parseBoolean(System.getProperty("bench.reimport", "true"))) {
                // The recurring import: the same export once more, as a scheduled job finds it when
                // the legacy system changed nothing. Every record is known and its values are the CRM's.
                long again = System.nanoTime();
                MigrationReport second = run(crm, jdbc, json, config);
                double seconds = (System.nanoTime() - again) / 1e9;
                assertThat(second.status()).isEqualTo("SUCCEEDED");
                long reread = second.steps().stream().mapToLong(StepCounts::read).sum();
                System.out.printf("BENCH re-import of the same export (a recurring job, nothing changed at the source): %,d records read in "
                                + "%.1f s = %,.0f records/s; created %,d, merged %,d, updated %,d, unchanged %,d; rows now %,d (before %,d)%n",
                        reread, seconds, reread / seconds, second.steps().stream().mapToLong(StepCounts::created).sum(),
                        second.steps().stream().mapToLong(StepCounts::merged).sum(), second.steps().stream().mapToLong(StepCounts::updated).sum(),
                        second.steps().stream().mapToLong(StepCounts::unchanged).sum(), rows(jdbc, BUSINESS_TABLES), finalRows);
            }
        }
    }

    private static MigrationReport run(HikariDataSource crm, JdbcTemplate jdbc, ObjectMapper json, Path config) throws Exception {
        try (LegacyMigrations m = new LegacyMigrations(MigrationJob.loadAll(config.toString()),
                new MigrationRuns(jdbc, json, "bench"), jdbc, new DataSourceTransactionManager(crm),
                new WaitingRecords(new NamedParameterJdbcTemplate(crm), json), json,
                new Matcher(MatchingConfiguration.loadRules(config.toString())), MappingConfiguration.loadCodeTables(config.toString()),
                null, null, Duration.ofMinutes(5), Duration.ofSeconds(5), "http://localhost:8080/api/migrations", Clock.systemUTC())) {
            return m.runHere("bench", false, "CLI");
        }
    }

    private static final List<String> BUSINESS_TABLES = List.of("account", "contact", "sales_order", "order_line");
    private static final List<String> ALL_TABLES = List.of("account", "contact", "sales_order", "order_line", "xref", "match_key",
            "outbox_event", "processed_message", "waiting_record", "migration_rejected");

    private static long rows(JdbcTemplate jdbc, List<String> tables) {
        return tables.stream().mapToLong(t -> jdbc.queryForObject("select count(*) from " + t, Long.class)).sum();
    }

    /**
     * COPY of the tables' rows (exported to a file first) into empty twins, the load alone timed.
     * Through a file, so that tables of millions of rows do not go through the heap. The twins:
     * {@code defaults}, made {@code like} the tables with their columns only; {@code unchecked},
     * {@code like} them {@code including all} (indexes, checks, defaults), which leaves out their
     * foreign keys; {@code all}, the same with the foreign keys added, a key to a table of the
     * list pointing at its twin (loaded before, as the tables are given parents first), so that
     * every row is checked as the migration's rows are.
     */
    private static double copyAll(HikariDataSource crm, List<String> tables, String twins) throws Exception {
        double seconds = 0;
        Path file = Files.createTempFile("copy", ".txt");
        try (Connection c = crm.getConnection()) {
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            for (String table : tables) {
                try (var out = new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
                    copy.copyOut("COPY " + table + " TO STDOUT", out);
                }
                String twin = "bench_" + twins + "_" + table;
                c.createStatement().execute("create table " + twin + " (like " + table + " including "
                        + (twins.equals("defaults") ? "defaults" : "all") + ")");
                if (twins.equals("all")) {
                    for (String key : new JdbcTemplate(crm).queryForList(
                            "select pg_get_constraintdef(oid) from pg_constraint where contype = 'f' and conrelid = ?::regclass", String.class, table)) {
                        String referenced = key.replaceAll("(?s).* REFERENCES ([a-z_]+)\\(.*", "$1");
                        String to = tables.contains(referenced) ? "bench_" + twins + "_" + referenced : referenced;
                        c.createStatement().execute("alter table " + twin + " add "
                                + key.replaceFirst(" REFERENCES " + referenced + "\\(", " REFERENCES " + to + "("));
                    }
                }
                long started = System.nanoTime();
                try (var in = new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
                    copy.copyIn("COPY " + twin + " FROM STDIN", in);
                }
                seconds += (System.nanoTime() - started) / 1e9;
            }
        } finally {
            Files.deleteIfExists(file);
        }
        return seconds;
    }
}
