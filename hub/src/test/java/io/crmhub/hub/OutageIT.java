package io.crmhub.hub;

import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.crm.CrmAccountEdits;
import io.crmhub.connectors.kafka.DeadLetters;
import io.crmhub.connectors.kafka.KafkaBacklog;
import io.crmhub.embedded.EmbeddedKafka;
import io.crmhub.embedded.ErpFixtures;
import io.crmhub.embedded.TcpProxy;
import io.crmhub.embedded.TestServices;
import io.crmhub.routes.KafkaCommits;
import io.crmhub.routes.SyncOutcomes;
import org.apache.camel.CamelContext;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.ConsumerGroupState;
import org.apache.camel.api.management.ManagedCamelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A system the hub depends on goes away while both directions of the sync have work for it, and
 * comes back: nothing may be lost, written twice or dead-lettered.
 * <ul>
 *   <li>The ERP: a TCP relay between the hub and the ERP's server (MariaDB with
 *   {@code -Preal-services}, else an H2 server over TCP) cuts its connections and refuses new ones.</li>
 *   <li>The Kafka broker: stopped, then started again on its data. It is this test's own in-process
 *   KRaft broker, so that stopping it disturbs no other test.</li>
 * </ul>
 * In both, CRM users edit five accounts and ERP users enter ten customers during the outage.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "hub.embedded.data-dir=",
        "hub.erp.poll-interval=300ms",
        "hub.erp.connection-timeout=500ms",
        "hub.crm.connection-timeout=2s",
        "hub.kafka.consumers=2",
        "hub.retry.max-redeliveries=2",
        "hub.retry.initial-delay=10ms",
        "hub.retry.max-delay=100ms",
        // a send to a broker that is gone fails within seconds, not the client's default minute
        "camel.component.kafka.max-block-ms=2000",
        "camel.component.kafka.request-timeout-ms=1000",
        "camel.component.kafka.delivery-timeout-ms=3000",
        // a consumer whose batch waits longer than this is put out of its group and its partitions
        // go to another (Kafka's default is 5 minutes: an outage of that length is no rare event)
        "camel.component.kafka.max-poll-interval-ms=8000"})
class OutageIT {

    private static final Duration WAIT = Duration.ofSeconds(120);

    private static TcpProxy erpRelay;
    /** The ERP as its own users reach it: not through the relay. */
    private static HikariDataSource erpDirect;
    private static Path kafkaDir;
    private static int kafkaPort;
    private static EmbeddedKafka kafka;

    @DynamicPropertySource
    static void services(DynamicPropertyRegistry registry) throws Exception {
        if (TestServices.real()) {
            String crm = TestServices.newCrmDatabaseUrl();
            registry.add("hub.crm.url", () -> crm);
            registry.add("hub.crm.username", TestServices::crmUser);
        }
        String direct = TestServices.newErpDatabaseUrlOverTcp();
        erpDirect = TestServices.pool(direct, TestServices.erpUser());
        ErpFixtures.apply(erpDirect, true);
        TestServices.Relayed erp = TestServices.relayed(direct);
        erpRelay = erp.relay();
        registry.add("hub.erp.url", erp::url);
        registry.add("hub.erp.username", TestServices::erpUser);

        kafkaDir = Files.createTempDirectory("kafka-outage-");
        try (ServerSocket free = new ServerSocket(0)) {
            kafkaPort = free.getLocalPort();
        }
        kafka = EmbeddedKafka.start(kafkaDir, kafkaPort);
        registry.add("camel.component.kafka.brokers", kafka::bootstrapServers);
    }

    @AfterAll
    static void stopServices() {
        erpDirect.close();
        kafka.close();
    }

    @Autowired
    NamedParameterJdbcTemplate crmJdbc;
    @Autowired
    CamelContext camel;
    @Autowired
    org.springframework.core.env.Environment env;
    @Autowired
    KafkaCommits commits;
    @Autowired
    KafkaBacklog kafkaBacklog;
    @Autowired
    CrmAccountEdits edits;
    @Autowired
    SyncOutcomes outcomes;
    @Autowired
    DeadLetters deadLetters;
    @Autowired
    @org.springframework.beans.factory.annotation.Qualifier("erpAccountChanges")
    io.crmhub.connectors.erp.ErpChangeReader erpAccountChanges;

    /** Five accounts the ERP sent, edited in the CRM during an outage. */
    private List<Map<String, Object>> accounts;
    private double writtenBefore;

    @BeforeEach
    void demoLoadedAndSent() {
        // Quiet first: the ERP's changes all published (an earlier test's ERP writes wait out their
        // second, then travel), the CRM's too.
        await().atMost(WAIT).until(() -> count("select count(*) from xref where external_id like '00000%'") == 19
                && count("select count(*) from outbox_event where published_at is null") == 0
                && erpAccountChanges.pending() == 0);
        accounts = crmJdbc.getJdbcTemplate().queryForList("""
                select external_id, crm_id from xref where entity_type = 'ACCOUNT' and system = 'ERP' and not secondary
                order by external_id limit 5""");
        writtenBefore = outcomes.erpWrites("WRITTEN");
    }

    @Test
    void anErpOutageLongerThanTheConsumersPollIntervalHoldsBothDirectionsBackAndLosesOrDeadLettersNothing() throws Exception {
        String crmChanged = env.getProperty("hub.topics.crm-changed");
        long writerFailedBefore = failedAttempts("write-erp-record");
        long pollsFailedBefore = failedExchanges("account-erp-to-kafka");
        long batchesFailedBefore = failedExchanges("crm-to-erp");
        double uncommittedBefore = commits.uncommitted("crm-to-erp");
        // the ERP writers, in the group as it settled after the previous test
        Set<String> writers = await().atMost(WAIT).until(() -> stableHolders(crmChanged), holders -> !holders.isEmpty());
        long writerFailed;
        long pollsFailed;

        erpRelay.cut();
        try {
            editPhones(20);
            enterErpCustomers("T9", "Ausfall ERP");
            // Longer than a faulty message's budget: max-redeliveries 2 dead-letters after 3 tries,
            // the two consumers each try their record 5 times or more.
            await().atMost(WAIT).until(() -> failedAttempts("write-erp-record") >= writerFailedBefore + 2 * 5
                    && failedExchanges("account-erp-to-kafka") >= pollsFailedBefore + 1);
            // and longer than the consumers' poll interval: an ERP writer waiting on the ERP is put out
            // of its group, and its partitions assigned anew
            await().atMost(WAIT).until(() -> !groupMembers().containsAll(writers));
            writerFailed = failedAttempts("write-erp-record") - writerFailedBefore;
            pollsFailed = failedExchanges("account-erp-to-kafka") - pollsFailedBefore;
            assertThat(count("select count(*) from xref where external_id like 'T9-%'")).isZero();
        } finally {
            erpRelay.restore();
        }

        assertBothArrivedOnceAndNothingDeadLettered(20, "T9", "Ausfall ERP");
        String group = env.getProperty("camel.component.kafka.group-id");
        await().atMost(WAIT).until(() -> kafkaBacklog.lag(group, List.of(crmChanged)).get(crmChanged) == 0);
        double uncommitted = commits.uncommitted("crm-to-erp") - uncommittedBefore;
        assertThat(failedExchanges("crm-to-erp")).as("a commit refused for lost partitions fails no batch").isEqualTo(batchesFailedBefore);
        assertThat(uncommitted).as("batches applied after their consumer lost its partitions").isPositive();
        System.out.printf("FIGURES ERP outage: connections cut, new ones refused, longer than max.poll.interval.ms (8 s); 5 CRM edits"
                + " -> %d failed ERP writes, writers put out of their group (%d members, %d of them in it after), %.0f batches applied and"
                + " left uncommitted; 10 ERP rows -> %d failed polls; 0 dead letters; ERP back -> 5 ERP writes, 10 accounts"
                + " in the CRM, lag 0%n", writerFailed, writers.size(), groupMembers().stream().filter(writers::contains).count(), uncommitted, pollsFailed);
    }

    @Test
    void aCrmStoreOutageLongerThanTheConsumersPollIntervalAppliesEachWaitingChangeOnceAndFailsNoBatch() throws Exception {
        String accountChanged = env.getProperty("hub.topics.erp-account-changed");
        String group = env.getProperty("camel.component.kafka.group-id");
        long batchesFailedBefore = failedExchanges("account-kafka-to-crm");
        long failedBefore = failedAttempts("apply-account-change");
        double uncommittedBefore = commits.uncommitted("account-kafka-to-crm");
        var routes = camel.getRouteController();
        // ten new ERP customers on their way to the CRM, held in Kafka while the store goes away
        routes.stopRoute("account-kafka-to-crm");
        enterErpCustomers("T11", "Ausfall CRM");
        await().atMost(WAIT).until(() -> erpAccountChanges.pending() == 0
                && kafkaBacklog.lag(group, List.of(accountChanged)).get(accountChanged) >= 10);
        long failedDuring = CrmStoreOutage.during(env, crmJdbc.getJdbcTemplate(), () -> {
            routes.startRoute("account-kafka-to-crm");
            await().atMost(WAIT).until(() -> failedAttempts("apply-account-change") > failedBefore);
            // the account consumers, holding the changes and waiting on the store
            Set<String> consumers = await().atMost(WAIT).until(() -> stableHolders(accountChanged), holders -> !holders.isEmpty());
            // longer than the consumers' poll interval: a consumer waiting on the store is put out of
            // its group, and its partitions assigned anew
            await().atMost(WAIT).until(() -> !groupMembers().containsAll(consumers));
            return failedAttempts("apply-account-change") - failedBefore;
        });

        // the pool comes back with the store: the first look-ups may still find it empty
        await().atMost(WAIT).ignoreExceptions().until(() -> count("select count(*) from xref where external_id like 'T11-%'") == 10
                && kafkaBacklog.lag(group, List.of(accountChanged)).get(accountChanged) == 0);
        assertThat(count("select count(*) from account where name like 'Ausfall CRM %'")).as("each once").isEqualTo(10);
        assertThat(deadLetters.list(1000)).noneMatch(d -> d.key() != null && d.key().startsWith("T11-"));
        assertThat(failedExchanges("account-kafka-to-crm")).as("a commit refused for lost partitions fails no batch")
                .isEqualTo(batchesFailedBefore);
        double uncommitted = commits.uncommitted("account-kafka-to-crm") - uncommittedBefore;
        assertThat(uncommitted).as("batches applied after their consumer lost its partitions").isPositive();
        System.out.printf("FIGURES CRM store outage: 10 ERP changes in Kafka, the store away longer than max.poll.interval.ms"
                + " (8 s) -> %d failed attempts, the consumers put out of their group; store back -> 10 accounts once,"
                + " %.0f batches applied and left uncommitted, read again and passed by, lag 0, 0 dead letters%n", failedDuring, uncommitted);
    }

    @Test
    void aBrokerOutageHoldsChangesInTheOutboxAndBehindTheWatermarkAndLosesOrDeadLettersNone() throws Exception {
        JdbcTemplate crm = crmJdbc.getJdbcTemplate();
        long relayFailedBefore = failedExchanges("crm-outbox-to-kafka");
        long pollsFailedBefore = failedExchanges("account-erp-to-kafka");
        Timestamp watermark = crm.queryForObject("select last_changed_at from watermark where source = 'erp.account'", Timestamp.class);

        kafka.close();
        try {
            editPhones(40);
            enterErpCustomers("T10", "Ausfall Kafka");
            await().atMost(WAIT).until(() -> failedExchanges("crm-outbox-to-kafka") >= relayFailedBefore + 2
                    && failedExchanges("account-erp-to-kafka") >= pollsFailedBefore + 1);
            assertThat(count("select count(*) from outbox_event where published_at is null and aggregate_id in (" + inCrmIds() + ")"))
                    .as("the CRM edits wait in the outbox").isEqualTo(accounts.size());
            assertThat(crm.queryForObject("select last_changed_at from watermark where source = 'erp.account'", Timestamp.class))
                    .as("the watermark waits").isEqualTo(watermark);
        } finally {
            kafka = EmbeddedKafka.start(kafkaDir, kafkaPort);
        }
        long relayFailed = failedExchanges("crm-outbox-to-kafka") - relayFailedBefore;
        long pollsFailed = failedExchanges("account-erp-to-kafka") - pollsFailedBefore;

        assertBothArrivedOnceAndNothingDeadLettered(40, "T10", "Ausfall Kafka");
        assertThat(count("select count(*) from outbox_event where published_at is null and aggregate_id in (" + inCrmIds() + ")")).isZero();
        System.out.printf("FIGURES Kafka outage: broker stopped; 5 CRM edits -> %d failed relay polls, events kept in the outbox; "
                        + "10 ERP rows -> %d failed polls, watermark kept; broker back on its data -> 5 ERP writes, 10 accounts, 0 dead letters%n",
                relayFailed, pollsFailed);
    }

    /** CRM users give the five accounts new phone numbers (ending in {@code from} to {@code from + 4}). */
    private void editPhones(int from) {
        for (int i = 0; i < accounts.size(); i++) {
            edits.update((UUID) accounts.get(i).get("crm_id"), Map.of("phone", "+4922198765" + (from + i)));
        }
    }

    /** ERP users enter ten customers, stamped after the poller's watermark. */
    private void enterErpCustomers(String prefix, String name) {
        Timestamp after = crmJdbc.getJdbcTemplate().queryForObject(
                "select last_changed_at from watermark where source = 'erp.account'", Timestamp.class);
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            rows.add(new Object[]{String.format("%s-%05d", prefix, i), name + " " + i + " KG",
                    Timestamp.valueOf(after.toLocalDateTime().plusSeconds(1 + i))});
        }
        new JdbcTemplate(erpDirect).batchUpdate(
                "INSERT INTO CUSTMST (CUSTNO, CNAME, CCTRY, CSTAT, LCHG, LUSR) VALUES (?, ?, 'DE', 'A', ?, 'ERPUSER')", rows);
    }

    private void assertBothArrivedOnceAndNothingDeadLettered(int phonesFrom, String prefix, String name) throws Exception {
        await().atMost(WAIT).until(() -> count("select count(*) from xref where external_id like '" + prefix + "-%'") == 10
                && outcomes.erpWrites("WRITTEN") - writtenBefore >= accounts.size());
        JdbcTemplate erp = new JdbcTemplate(erpDirect);
        for (int i = 0; i < accounts.size(); i++) {
            assertThat(erp.queryForObject("SELECT CPHON FROM CUSTMST WHERE CUSTNO = ?", String.class,
                    accounts.get(i).get("external_id")).strip()).isEqualTo("+4922198765" + (phonesFrom + i));
        }
        assertThat(outcomes.erpWrites("WRITTEN") - writtenBefore).as("each CRM edit written to the ERP once").isEqualTo(accounts.size());
        assertThat(count("select count(*) from account where name like '" + name + " %'")).as("each once").isEqualTo(10);
        Set<String> crmIds = accounts.stream().map(a -> a.get("crm_id").toString()).collect(Collectors.toSet());
        assertThat(deadLetters.list(1000)).as("nothing dead-lettered").noneMatch(d -> crmIds.contains(d.key())
                || (d.key() != null && d.key().startsWith(prefix + "-")));
    }

    /**
     * The members of the hub's consumer group that hold partitions of {@code topic}, once the group
     * is stable (an empty set while it rebalances).
     */
    private Set<String> stableHolders(String topic) throws Exception {
        ConsumerGroupDescription group = describeGroup();
        if (group.state() != ConsumerGroupState.STABLE) {
            return Set.of();
        }
        return group.members().stream()
                .filter(m -> m.assignment().topicPartitions().stream().anyMatch(tp -> tp.topic().equals(topic)))
                .map(MemberDescription::consumerId).collect(Collectors.toSet());
    }

    /** The members of the hub's consumer group, whatever its state. */
    private Set<String> groupMembers() throws Exception {
        return describeGroup().members().stream().map(MemberDescription::consumerId).collect(Collectors.toSet());
    }

    private ConsumerGroupDescription describeGroup() throws Exception {
        String group = env.getProperty("camel.component.kafka.group-id");
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            return admin.describeConsumerGroups(List.of(group)).all().get().get(group);
        }
    }

    private String inCrmIds() {
        return accounts.stream().map(a -> "'" + a.get("crm_id") + "'").collect(Collectors.joining(","));
    }

    /** Failed calls of a route step, every redelivery counted (Camel's JMX statistics). */
    private long failedAttempts(String processorId) throws Exception {
        var processor = camel.getCamelContextExtension().getContextPlugin(ManagedCamelContext.class).getManagedProcessor(processorId);
        return processor == null ? 0 : processor.getExchangesFailed();
    }

    private long failedExchanges(String routeId) throws Exception {
        return camel.getCamelContextExtension().getContextPlugin(ManagedCamelContext.class).getManagedRoute(routeId).getExchangesFailed();
    }

    private long count(String sql) {
        Long n = crmJdbc.getJdbcTemplate().queryForObject(sql, Long.class);
        return n == null ? 0 : n;
    }
}
