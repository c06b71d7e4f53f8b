package io.crmhub.connectors;

import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.crm.CrmStoreConfiguration;
import io.crmhub.connectors.migration.MigrationCommand;
import io.crmhub.embedded.LegacyExports;
import io.crmhub.embedded.TestServices;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.JdbcTemplate;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The test 3: a 100,000-record migration run from the command line (a real separate JVM)
 * killed with SIGKILL three times at random points, then run again to its end: the CRM holds
 * exactly the expected accounts, each source record applied once.
 */
class MigrationCrashIT {

    private static final Duration WAIT = Duration.ofSeconds(180);
    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        processes.forEach(Process::destroyForcibly);
    }

    @Test
    void aMigrationKilledThreeTimesAtRandomPointsEndsWithExactlyTheExpectedRecords(@TempDir Path dir) throws Exception {
        String crmUrl = TestServices.newCrmDatabaseUrl();
        Path config = ConfigCopy.of(dir.resolve("config"));
        Path csv = dir.resolve("accounts.csv");
        LegacyExports.Manifest manifest = LegacyExports.accountsCsv(csv, 100_000, 100, 2_000, 42, StandardCharsets.ISO_8859_1);
        Files.writeString(config.resolve("migrations/big.yml"), """
                batch-size: 500
                stop-after-failures: 1000
                steps:
                  - name: accounts
                    mapping: legacy-account
                    source: { type: csv, path: "%s", encoding: auto }
                """.formatted(csv.toAbsolutePath()));
        long seed = System.nanoTime();
        Random random = new Random(seed);
        try (HikariDataSource crm = TestServices.pool(crmUrl, TestServices.crmUser())) {
            CrmStoreConfiguration.migrate(crm);
            JdbcTemplate jdbc = new JdbcTemplate(crm);
            List<Long> killedAt = new ArrayList<>();
            long target = 0;
            for (int kill = 1; kill <= 3; kill++) {
                target += 8_000 + random.nextInt(20_000);
                long reach = target;
                Process p = start(dir.resolve("run-" + kill + ".log"), crmUrl, config);
                await().atMost(WAIT).until(() -> position(jdbc) >= reach || !p.isAlive());
                assertThat(p.isAlive()).as("run " + kill + " still running at its kill point; see run-" + kill + ".log").isTrue();
                p.destroyForcibly().waitFor();
                killedAt.add(position(jdbc));
            }
            assertThat(jdbc.queryForObject("select status from migration_run", String.class)).isEqualTo("RUNNING");

            Process last = start(dir.resolve("run-4.log"), crmUrl, config);
            await().atMost(WAIT).until(() -> !last.isAlive());
            assertThat(last.exitValue()).as("the last run succeeds; see run-4.log").isZero();

            Map<String, Object> run = jdbc.queryForMap("select status, resumed, progress::text from migration_run");
            assertThat(run.get("status")).isEqualTo("SUCCEEDED");
            assertThat(run.get("resumed")).as("one run, taken over after each kill").isEqualTo(3);
            int expected = manifest.distinctValid();
            assertThat(count(jdbc, "select count(*) from account")).as("exactly the expected accounts").isEqualTo(expected);
            assertThat(count(jdbc, "select count(*) from xref where entity_type = 'ACCOUNT'"))
                    .as("every valid source record has its id, once").isEqualTo(100_000 - 100);
            assertThat(count(jdbc, "select count(*) from (select external_id from xref group by 1 having count(*) > 1) d")).isZero();
            assertThat(count(jdbc, "select count(*) from account a where not exists (select 1 from xref x where x.crm_id = a.id)"))
                    .as("no account without its source").isZero();
            assertThat(count(jdbc, "select count(*) from outbox_event where event_type = 'ACCOUNT_CREATED'"))
                    .as("each creation done once").isEqualTo(expected);
            for (Map.Entry<String, String> d : manifest.duplicateOf().entrySet()) {
                assertThat(jdbc.queryForObject("select count(distinct crm_id) from xref where external_id in (?, ?)", Long.class,
                        d.getKey(), d.getValue())).as(d.getKey() + " is the account of " + d.getValue()).isEqualTo(1);
            }
            for (String invalid : manifest.invalid().keySet()) {
                assertThat(count(jdbc, "select count(*) from xref where external_id = ?", invalid)).isZero();
            }
            assertThat(count(jdbc, "select count(distinct source_id) from migration_rejected")).isEqualTo(100);
            assertThat(count(jdbc, """
                    select count(*) from (select source_id, field, reason from migration_rejected
                    group by 1, 2, 3 having count(*) > 1) d""")).as("each refusal recorded once").isZero();
            String progress = (String) run.get("progress");
            assertThat(progress).contains("\"read\": 100000").contains("\"created\": " + expected)
                    .contains("\"merged\": " + manifest.duplicateOf().size()).contains("\"quarantined\": 100");
            System.out.printf("FIGURES migration test3: 100,000 records (100 invalid, %d second entries), SIGKILL at positions %s "
                    + "(seed %d) -> %d accounts (expected %d), %d ids, 0 repeated refusals%n", manifest.duplicateOf().size(),
                    killedAt, seed, count(jdbc, "select count(*) from account"), expected,
                    count(jdbc, "select count(*) from xref"));
        }
    }

    private static long position(JdbcTemplate jdbc) {
        List<Long> p = jdbc.queryForList("select (progress->'steps'->0->>'position')::bigint from migration_run", Long.class);
        return p.isEmpty() ? 0 : p.get(0);
    }

    private static long count(JdbcTemplate jdbc, String sql, Object... args) {
        Long n = jdbc.queryForObject(sql, Long.class, args);
        return n == null ? 0 : n;
    }

    private Process start(Path log, String crmUrl, Path config) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), MigrationCommand.class.getName(),
                "--job=big", "--crm-url=" + crmUrl, "--crm-user=" + TestServices.crmUser(), "--config-dir=" + config,
                "--lease=2s"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        processes.add(p);
        return p;
    }

}
