package io.crmhub.hub;

import com.zaxxer.hikari.HikariDataSource;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.billing.BillingClient;
import io.crmhub.connectors.crm.CrmStoreConfiguration;
import io.crmhub.connectors.order.OrderSaga;
import io.crmhub.embedded.BillingSimulator;
import io.crmhub.embedded.EmbeddedMailServer;
import io.crmhub.embedded.ErpFixtures;
import io.crmhub.embedded.TestServices;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.io.File;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The hub killed (SIGKILL, a real separate process) between publishing a page and committing its
 * watermark; and in the middle of an order saga's compensations.
 */
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
            Process first = start(dir.resolve("first.log"), crmUrl, erpUrl, kafka, List.of("-Dhub.test.crash-marker=" + marker), List.of());
            await().atMost(WAIT).until(() -> Files.exists(marker) || !first.isAlive());
            assertThat(first.isAlive()).as("first hub reached the crash point; see first.log").isTrue();
            first.destroyForcibly().waitFor();
            JdbcTemplate crmJdbc = new JdbcTemplate(crm);
            long appliedBeforeKill = count(crmJdbc, "select count(*) from xref where external_id like 'T2-%'");
            assertThat(count(crmJdbc, "select count(*) from watermark where source = 'erp.account'")).as("watermark not committed").isZero();

            Process second = start(dir.resolve("second.log"), crmUrl, erpUrl, kafka, List.of(), List.of());
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

    @Test
    void anOrderSagaKilledAfterTwoOfItsThreeCompensationsRunsEachOnceInEffectAfterRestart(@TempDir Path dir) throws Exception {
        String crmUrl = TestServices.newCrmDatabaseUrl();
        String erpUrl = TestServices.newErpDatabaseUrl(true);
        String kafka = TestServices.kafkaBootstrap();
        String billingKey = "sk_test_" + UUID.randomUUID().toString().replace("-", "");
        try (HikariDataSource crm = TestServices.pool(crmUrl, TestServices.crmUser());
             HikariDataSource erp = TestServices.pool(erpUrl, TestServices.erpUser());
             BillingSimulator billing = new BillingSimulator(billingKey);
             EmbeddedMailServer mail = EmbeddedMailServer.start(0, 0, "hub@crmhub.local", "hub", "hub-secret")) {
            CrmStoreConfiguration.migrate(crm);
            ErpFixtures.apply(erp, true);
            // the billing step fails for good: its invoice stays a draft, which the compensation deletes
            billing.failAlways("invoices.finalize", BillingSimulator.Fault.SERVER_ERROR);
            List<String> hubArgs = List.of("--hub.billing.url=" + billing.url(), "--hub.billing.api-key=" + billingKey,
                    "--hub.billing.attempts=1", "--hub.saga.lease=3s", "--hub.saga.recovery-interval=300ms",
                    "--hub.mail.host=127.0.0.1", "--hub.mail.smtp-port=" + mail.smtpPort(), "--hub.mail.imap-port=" + mail.imapPort(),
                    "--hub.mail.username=hub", "--hub.mail.password=hub-secret");
            JdbcTemplate crmJdbc = new JdbcTemplate(crm);
            JdbcTemplate erpJdbc = new JdbcTemplate(erp);

            Path marker = dir.resolve("crash-point-reached");
            Process first = start(dir.resolve("first.log"), crmUrl, erpUrl, kafka, List.of("-Dhub.test.crash-marker=" + marker,
                    "-Dhub.test.crash-route=order-failed", "-Dhub.test.crash-before=mark-order-failed"), hubArgs);
            await().atMost(WAIT).until(() -> count(crmJdbc, "select count(*) from xref where external_id = '0000010010'") == 1 || !first.isAlive());
            UUID account = crmJdbc.queryForObject("select crm_id from xref where entity_type = 'ACCOUNT' and external_id = '0000010010'", UUID.class);
            UUID contact = UUID.randomUUID();
            crmJdbc.update("insert into contact (id, account_id, last_name, email) values (?, ?, 'Kraus', 'kraus@mueller.example')", contact, account);
            OrderSaga orders = new OrderSaga(crmJdbc, new TransactionTemplate(new DataSourceTransactionManager(crm)), erp,
                    new BillingClient(billing.url(), billingKey, Duration.ofSeconds(5), 1, Duration.ofMillis(10), new ObjectMapper()),
                    null, new ObjectMapper(), "CRMHUB", Clock.systemUTC());
            OrderSaga.Placed placed = orders.place(account, contact, "EUR", List.of(new OrderSaga.LineInput("SKU-1", "Gear", BigDecimal.ONE, BigDecimal.TEN)));

            await().atMost(WAIT).until(() -> Files.exists(marker) || !first.isAlive());
            assertThat(first.isAlive()).as("first hub reached the crash point; see first.log").isTrue();
            first.destroyForcibly().waitFor();
            String saga = crmJdbc.queryForObject("select saga_id from sales_order where id = ?", String.class, placed.orderId());
            assertThat(crmJdbc.queryForObject("select status from saga where id = ?", String.class, saga)).isEqualTo("COMPENSATING");
            assertThat(count(crmJdbc, "select count(*) from saga_step where saga_id = '" + saga + "' and compensated_at is not null"))
                    .as("2 of 3 compensations done at the kill").isEqualTo(2);
            assertThat(crmJdbc.queryForObject("select status from sales_order where id = ?", String.class, placed.orderId())).isNotEqualTo("FAILED");
            Timestamp cancelledAt = erpJdbc.queryForObject("SELECT LCHG FROM ORDHDR WHERE ORDNO = ?", Timestamp.class, placed.orderNumber());
            assertThat(erpJdbc.queryForObject("SELECT OSTAT FROM ORDHDR WHERE ORDNO = ?", String.class, placed.orderNumber())).isEqualTo("CA");
            assertThat(billing.requests("invoices.delete")).as("the draft invoice deleted").isEqualTo(1);

            Process second = start(dir.resolve("second.log"), crmUrl, erpUrl, kafka, List.of(), hubArgs);
            await().atMost(WAIT).until(() -> "COMPENSATED".equals(crmJdbc.queryForObject("select status from saga where id = ?", String.class, saga)));
            second.destroy();
            second.waitFor();

            assertThat(crmJdbc.queryForObject("select status from sales_order where id = ?", String.class, placed.orderId())).isEqualTo("FAILED");
            assertThat(billing.requests("invoices.delete")).as("not deleted again").isEqualTo(1);
            assertThat(billing.invoices()).noneMatch(i -> placed.orderId().toString().equals(((java.util.Map<?, ?>) i.get("metadata")).get("order_key")));
            assertThat(erpJdbc.queryForObject("SELECT LCHG FROM ORDHDR WHERE ORDNO = ?", Timestamp.class, placed.orderNumber()))
                    .as("not cancelled again").isEqualTo(cancelledAt);
            long notices = mail.greenMail().getReceivedMessages().length;
            assertThat(java.util.Arrays.stream(mail.greenMail().getReceivedMessages()).filter(m -> {
                try {
                    return m.getSubject().equals("Order " + placed.orderNumber() + " failed");
                } catch (jakarta.mail.MessagingException e) {
                    throw new IllegalStateException(e);
                }
            }).count()).as("the owner told once").isEqualTo(1);
            System.out.printf("FIGURES saga test 3: SIGKILL after 2 of 3 compensations (ERP order cancelled, draft invoice deleted); "
                    + "after restart: order FAILED, invoice deletions 1, ERP cancellations 1 (LCHG unchanged), failure notices 1 of %d mails%n", notices);
        }
    }

    private Process start(Path log, String crmUrl, String erpUrl, String kafka, List<String> jvmArgs, List<String> appArgs)
            throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-cp", System.getProperty("java.class.path")));
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of(CrashPointHub.class.getName(),
                "--server.port=0", "--hub.embedded.data-dir=",
                "--hub.crm.url=" + crmUrl, "--hub.crm.username=" + TestServices.crmUser(),
                "--hub.erp.url=" + erpUrl, "--hub.erp.username=" + TestServices.erpUser(),
                "--camel.component.kafka.brokers=" + kafka,
                "--hub.erp.page-size=300", "--hub.erp.poll-interval=300ms",
                "--hub.kafka.consumers=4",
                // a killed instance's consumers hold their partitions until the session times out
                "--camel.component.kafka.session-timeout-ms=6000"));
        cmd.addAll(appArgs);
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
