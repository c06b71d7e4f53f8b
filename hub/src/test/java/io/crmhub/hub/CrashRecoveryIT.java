package io.crmhub.hub;

import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.crm.CrmStoreConfiguration;
import io.crmhub.embedded.ErpFixtures;
import io.crmhub.embedded.TestServices;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.JdbcTemplate;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The hub killed (SIGKILL, a real separate process) between publishing a page and committing its watermark. */
class CrashRecoveryIT {

    private static final Duration WAIT = Duration.ofSeconds(120);
    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        processes.forEach(Process::destroyForcibly);
    }

    @Test
    void rowsSharingOneTimestampAcrossAPageAreAppliedExactlyOnceAfterAKillBeforeTheWatermarkCommit(@TempDir Path dir) throws Exception {
        String crmUrl = TestServices.newCrmDatabaseUrl();
        String erpUrl = TestServices.newErpDatabaseUrl(true);
        String kafka = TestServices.kafkaBootstrap();
        try (HikariDataSource crm = TestServices.pool(crmUrl, TestServices.crmUser());
             HikariDataSource erp = TestServices.pool(erpUrl, TestServices.erpUser())) {
            CrmStoreConfiguration.migrate(crm);
            ErpFixtures.apply(erp, false);
            JdbcTemplate erpJdbc = new JdbcTemplate(erp);
            Timestamp tie = Timestamp.valueOf(LocalDateTime.of(2025, 6, 1, 12, 0));
            for (int i = 0; i < 301; i++) {
                erpJdbc.update("INSERT INTO CUSTMST (CUSTNO, CNAME, CCTRY, CSTAT, LCHG, LUSR) VALUES (?, ?, 'DE', 'A', ?, 'IT')",
                        String.format("T2-%05d", i), "Gleichzeitig " + i + " GmbH", tie);
            }
            erp.close();

            Path marker = dir.resolve("crash-point-reached");
            Process first = start(dir.resolve("first.log"), crmUrl, erpUrl, kafka, "-Dhub.test.crash-marker=" + marker);
            await().atMost(WAIT).until(() -> Files.exists(marker) || !first.isAlive());
            assertThat(first.isAlive()).as("first hub reached the crash point; see first.log").isTrue();
            first.destroyForcibly().waitFor();
            JdbcTemplate crmJdbc = new JdbcTemplate(crm);
            long appliedBeforeKill = count(crmJdbc, "select count(*) from xref where external_id like 'T2-%'");
            assertThat(count(crmJdbc, "select count(*) from watermark where source = 'erp.account'")).as("watermark not committed").isZero();

            Process second = start(dir.resolve("second.log"), crmUrl, erpUrl, kafka);
            await().atMost(WAIT).until(() -> count(crmJdbc, "select count(*) from xref where external_id like 'T2-%'") == 301);
            await().atMost(WAIT).until(() -> "T2-00300".equals(crmJdbc.queryForList(
                    "select last_key from watermark where source = 'erp.account'", String.class).stream().findFirst().orElse("")));
            second.destroy();
            second.waitFor();

            assertThat(count(crmJdbc, "select count(*) from account where name like 'Gleichzeitig %'")).isEqualTo(301);
            assertThat(count(crmJdbc, "select count(*) from outbox_event where event_type = 'ACCOUNT_CREATED'"))
                    .as("each applied once").isEqualTo(301);
            assertThat(count(crmJdbc, "select count(*) from outbox_event where event_type = 'ACCOUNT_UPDATED'")).isZero();
            System.out.printf("FIGURES test2: 301 rows at one timestamp, page 300, SIGKILL before the watermark commit "
                    + "(%d applied by then) -> after restart 301 CRM rows, 301 creations, 0 updates%n", appliedBeforeKill);
        }
    }

    private Process start(Path log, String crmUrl, String erpUrl, String kafka, String... jvmArgs) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-cp", System.getProperty("java.class.path")));
        cmd.addAll(List.of(jvmArgs));
        cmd.addAll(List.of(CrashPointHub.class.getName(),
                "--server.port=0", "--hub.embedded.data-dir=",
                "--hub.crm.url=" + crmUrl, "--hub.crm.username=" + TestServices.crmUser(),
                "--hub.erp.url=" + erpUrl, "--hub.erp.username=" + TestServices.erpUser(),
                "--camel.component.kafka.brokers=" + kafka,
                "--hub.erp.page-size=300", "--hub.erp.poll-interval=300ms",
                "--hub.kafka.consumers=4",
                // a killed instance's consumers hold their partitions until the session times out
                "--camel.component.kafka.session-timeout-ms=6000"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                .directory(new File(System.getProperty("user.dir"))).start();
        processes.add(p);
        return p;
    }

    private static long count(JdbcTemplate jdbc, String sql) {
        Long n = jdbc.queryForObject(sql, Long.class);
        return n == null ? 0 : n;
    }
}
