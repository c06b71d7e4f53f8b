package io.crmhub.hub;

import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.crm.CrmAccountEdits;
import io.crmhub.connectors.kafka.DeadLetters;
import io.crmhub.embedded.ErpFixtures;
import io.crmhub.embedded.TestServices;
import io.crmhub.routes.SyncOutcomes;
import org.apache.camel.CamelContext;
import org.apache.camel.api.management.ManagedCamelContext;
import org.h2.tools.Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.net.ServerSocket;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The ERP goes away while both directions of the sync have work for it: its connections are cut
 * and new ones refused by a TCP relay between the hub and the ERP's server (MariaDB with
 * {@code -Preal-services}, else an H2 server over TCP). Nothing may be dead-lettered or lost.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "hub.embedded.data-dir=",
        "hub.erp.poll-interval=300ms",
        "hub.erp.connection-timeout=500ms",
        "hub.kafka.consumers=2",
        "hub.retry.max-redeliveries=2",
        "hub.retry.initial-delay=10ms",
        "hub.retry.max-delay=100ms"})
class ErpOutageIT {

    private static final Duration WAIT = Duration.ofSeconds(90);

    private static TcpProxy proxy;
    private static Server h2;
    /** The ERP as its own users reach it: not through the relay. */
    private static HikariDataSource erpDirect;

    @DynamicPropertySource
    static void services(DynamicPropertyRegistry registry) throws Exception {
        String direct;
        if (TestServices.real()) {
            String crm = TestServices.newCrmDatabaseUrl();
            registry.add("hub.crm.url", () -> crm);
            registry.add("hub.crm.username", TestServices::crmUser);
            direct = TestServices.newErpDatabaseUrl();
        } else {
            int port;
            try (ServerSocket free = new ServerSocket(0)) {
                port = free.getLocalPort();
            }
            h2 = Server.createTcpServer("-tcpPort", String.valueOf(port), "-ifNotExists", "-tcpDaemon").start();
            direct = "jdbc:h2:tcp://127.0.0.1:" + port + "/mem:erp_outage_" + UUID.randomUUID().toString().substring(0, 8)
                    + ";MODE=MariaDB;DB_CLOSE_DELAY=-1";
        }
        erpDirect = TestServices.pool(direct, TestServices.erpUser());
        ErpFixtures.apply(erpDirect, true);
        Matcher at = Pattern.compile("//([^:/]+):(\\d+)/").matcher(direct);
        if (!at.find()) {
            throw new IllegalStateException("no host:port in " + direct);
        }
        proxy = new TcpProxy(at.group(1), Integer.parseInt(at.group(2)));
        String relayed = direct.substring(0, at.start()) + "//127.0.0.1:" + proxy.port() + "/" + direct.substring(at.end());
        registry.add("hub.erp.url", () -> relayed);
        registry.add("hub.erp.username", TestServices::erpUser);
    }

    @AfterAll
    static void stopServices() throws Exception {
        proxy.close();
        erpDirect.close();
        if (h2 != null) {
            h2.stop();
        }
    }

    @Autowired
    NamedParameterJdbcTemplate crmJdbc;
    @Autowired
    CamelContext camel;
    @Autowired
    CrmAccountEdits edits;
    @Autowired
    SyncOutcomes outcomes;
    @Autowired
    DeadLetters deadLetters;

    @Test
    void anErpOutageHoldsBothDirectionsBackUntilItEndsAndLosesOrDeadLettersNothing() throws Exception {
        JdbcTemplate crm = crmJdbc.getJdbcTemplate();
        JdbcTemplate erp = new JdbcTemplate(erpDirect);
        await().atMost(WAIT).until(() -> count("select count(*) from xref where external_id like '00000%'") == 19);
        List<Map<String, Object>> accounts = crm.queryForList("""
                select external_id, crm_id from xref where entity_type = 'ACCOUNT' and system = 'ERP' and not secondary
                order by external_id limit 5""");
        double writtenBefore = outcomes.erpWrites("WRITTEN");
        long writerFailedBefore = failedAttempts("write-erp-record");
        long pollsFailedBefore = failedPolls();
        Set<String> crmIds = new HashSet<>();
        long writerFailed;
        long pollsFailed;

        proxy.cut();
        try {
            // CRM users edit five accounts: their changes must wait for the ERP...
            for (int i = 0; i < accounts.size(); i++) {
                UUID id = (UUID) accounts.get(i).get("crm_id");
                crmIds.add(id.toString());
                edits.update(id, Map.of("phone", "+4922198765" + (20 + i)));
            }
            // ...and ERP users enter ten customers, which the poller cannot read meanwhile.
            Timestamp after = crm.queryForObject("select last_changed_at from watermark where source = 'erp.account'", Timestamp.class);
            List<Object[]> rows = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                rows.add(new Object[]{String.format("T9-%05d", i), "Ausfall ERP " + i + " KG",
                        Timestamp.valueOf(after.toLocalDateTime().plusSeconds(1 + i))});
            }
            erp.batchUpdate("INSERT INTO CUSTMST (CUSTNO, CNAME, CCTRY, CSTAT, LCHG, LUSR) VALUES (?, ?, 'DE', 'A', ?, 'ERPUSER')", rows);
            // Longer than a faulty message's budget: max-redeliveries 2 dead-letters after 3 tries,
            // the two consumers each try their record 5 times or more.
            await().atMost(WAIT).until(() -> failedAttempts("write-erp-record") >= writerFailedBefore + 2 * 5
                    && failedPolls() >= pollsFailedBefore + 1);
            writerFailed = failedAttempts("write-erp-record") - writerFailedBefore;
            pollsFailed = failedPolls() - pollsFailedBefore;
            assertThat(count("select count(*) from xref where external_id like 'T9-%'")).isZero();
        } finally {
            proxy.restore();
        }

        await().atMost(WAIT).until(() -> count("select count(*) from xref where external_id like 'T9-%'") == 10
                && outcomes.erpWrites("WRITTEN") - writtenBefore >= accounts.size());
        for (int i = 0; i < accounts.size(); i++) {
            assertThat(erp.queryForObject("SELECT CPHON FROM CUSTMST WHERE CUSTNO = ?", String.class,
                    accounts.get(i).get("external_id")).strip()).isEqualTo("+4922198765" + (20 + i));
        }
        assertThat(outcomes.erpWrites("WRITTEN") - writtenBefore).as("each CRM edit written to the ERP once").isEqualTo(accounts.size());
        assertThat(count("select count(*) from account where name like 'Ausfall ERP %'")).isEqualTo(10);
        assertThat(deadLetters.list(1000)).as("nothing dead-lettered").noneMatch(d -> crmIds.contains(d.key())
                || (d.key() != null && d.key().startsWith("T9-")));
        System.out.printf("FIGURES ERP outage: connections cut, new ones refused; 5 CRM edits -> %d failed ERP writes, "
                        + "10 ERP rows -> %d failed polls; 0 dead letters; ERP back -> 5 ERP writes, 10 accounts in the CRM%n",
                writerFailed, pollsFailed);
    }

    /** Failed calls of a route step, every redelivery counted (Camel's JMX statistics). */
    private long failedAttempts(String processorId) throws Exception {
        var processor = camel.getCamelContextExtension().getContextPlugin(ManagedCamelContext.class).getManagedProcessor(processorId);
        return processor == null ? 0 : processor.getExchangesFailed();
    }

    private long failedPolls() throws Exception {
        return camel.getCamelContextExtension().getContextPlugin(ManagedCamelContext.class)
                .getManagedRoute("account-erp-to-kafka").getExchangesFailed();
    }

    private long count(String sql) {
        Long n = crmJdbc.getJdbcTemplate().queryForObject(sql, Long.class);
        return n == null ? 0 : n;
    }
}
