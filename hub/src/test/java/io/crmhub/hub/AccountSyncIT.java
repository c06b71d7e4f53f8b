package io.crmhub.hub;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.JsonNode;
import io.crmhub.connectors.kafka.DeadLetters;
import io.crmhub.routes.SyncOutcomes;
import io.crmhub.transformers.model.SourceRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import javax.sql.DataSource;
import java.net.http.HttpResponse;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * ERP → CRM account sync against the real broker and real databases: redeliveries, reordering,
 * concurrency, a poison message, and two hub instances. Figures seen are printed as
 * {@code FIGURES ...} lines.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "hub.embedded.data-dir=",
        "hub.erp.poll-interval=300ms",
        "hub.kafka.consumers=4",
        "hub.retry.max-redeliveries=2",
        "hub.retry.initial-delay=10ms",
        "hub.retry.max-delay=50ms",
        "hub.metrics.backlog-refresh=200ms",
        "hub.crm.connection-timeout=2s",
        // a route stopped while its consumers wait out an outage waits this long for each of them
        // (Camel's default, 30 s, made one test wait 2 minutes for its 4 consumers)
        "camel.component.kafka.shutdown-timeout=2000"})
class AccountSyncIT {

    private static final Duration WAIT = Duration.ofSeconds(90);
    /** The graceful part of a second hub's stop ({@code camel.main.shutdown-timeout}, 20 s in config/). */
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(5);

    @DynamicPropertySource
    static void realServices(DynamicPropertyRegistry registry) {
        RealServices.register(registry);
    }

    @LocalServerPort
    int port;
    @Autowired
    Environment env;
    @Autowired
    NamedParameterJdbcTemplate crmJdbc;
    @Autowired
    @Qualifier("erpDataSource")
    DataSource erpDataSource;
    @Autowired
    ObjectMapper objectMapper;
    @Autowired
    SyncOutcomes outcomes;
    @Autowired
    DeadLetters deadLetters;
    @Autowired
    org.apache.camel.CamelContext camel;
    @Autowired
    io.crmhub.connectors.crm.CrmAccountEdits edits;
    @Autowired
    io.crmhub.hub.health.BacklogMetrics backlog;

    /** The demo ERP's accounts load at start-up; counters compared by a test must not include them. */
    @org.junit.jupiter.api.BeforeEach
    void demoLoadSettled() {
        await().atMost(WAIT).until(() -> count("select count(*) from xref where external_id like '00000%'") == 19
                && count("select count(*) from quarantine where source_id like '00000%'") == 4);
    }

    @Test
    void everyChangeDeliveredOneToFourTimesInShuffledOrderLeavesOneRowPerRecordWithTheLatestValues() throws Exception {
        Random random = new Random(20261122);
        Instant base = Instant.parse("2025-03-01T08:00:00Z");
        int records = 400;
        List<SourceRecord> events = new ArrayList<>();
        Map<String, String> latest = new HashMap<>();
        int versions = 0;
        for (int i = 0; i < records; i++) {
            String id = String.format("T1-%05d", i);
            int n = 1 + random.nextInt(3);
            for (int v = 1; v <= n; v++) {
                String name = "Firma " + i + " Version " + v;
                SourceRecord e = account(id, name, base.plusSeconds(i * 10L + v));
                int deliveries = 1 + random.nextInt(4);
                for (int d = 0; d < deliveries; d++) {
                    events.add(e);
                }
                latest.put(id, name);
                versions++;
            }
        }
        Collections.shuffle(events, random);
        Map<String, Double> before = counts();

        publish(events);

        // Other tests' ERP changes move the same counters: wait for this test's own end state too.
        await().atMost(WAIT).until(() -> processedSince(before) >= events.size() && storedT1Names().equals(latest));
        Map<String, String> stored = storedT1Names();
        assertThat(stored).isEqualTo(latest);
        assertThat(count("select count(*) from account where name like 'Firma %'")).as("one row per ERP record").isEqualTo(records);
        Map<String, Double> delta = deltas(before);
        assertThat(delta.get("CREATED")).isEqualTo(records);
        assertThat(delta.get("CREATED") + delta.get("UPDATED") + delta.get("STALE")).isEqualTo(versions);
        System.out.printf("FIGURES test1: %d records, %d versions, %d deliveries over 4 consumer threads -> %s, %d CRM rows%n",
                records, versions, events.size(), delta, stored.size());
    }

    @Test
    void aCrmEditReachesTheErpOnceAndNothingBouncesInTenPollCyclesWhileLaterEditsOnEitherSideGetThrough() throws Exception {
        JdbcTemplate erp = new JdbcTemplate(erpDataSource);
        JdbcTemplate crm = crmJdbc.getJdbcTemplate();
        UUID id = crm.queryForObject("select crm_id from xref where entity_type = 'ACCOUNT' and system = 'ERP' and external_id = '0000010010'", UUID.class);
        long eventsBefore = count("select count(*) from outbox_event where aggregate_id = '" + id + "'");
        Map<String, Double> before = counts();
        double writtenBefore = outcomes.erpWrites("WRITTEN");

        long version = edits.update(id, Map.of("name", "Müller GmbH & Co. KG", "phone", "+492219876500"));

        await().atMost(WAIT).until(() -> "Müller GmbH & Co. KG|CRMHUB".equals(erpRow(erp, "CNAME") + "|" + erpRow(erp, "LUSR")));
        assertThat(erpRow(erp, "CPHON")).isEqualTo("+492219876500");
        Timestamp written = erp.queryForObject("SELECT LCHG FROM CUSTMST WHERE CUSTNO = '0000010010'", Timestamp.class);
        long polls = pollerExchanges();
        await().atMost(WAIT).until(() -> pollerExchanges() >= polls + 10 && deltas(before).get("UNCHANGED") >= 1);
        assertThat(erp.queryForObject("SELECT LCHG FROM CUSTMST WHERE CUSTNO = '0000010010'", Timestamp.class))
                .as("the ERP was written once").isEqualTo(written);
        assertThat(crm.queryForObject("select version from account where id = ?", Long.class, id)).as("no echo update").isEqualTo(version);
        assertThat(count("select count(*) from outbox_event where aggregate_id = '" + id + "'")).isEqualTo(eventsBefore + 1);
        assertThat(outcomes.erpWrites("WRITTEN") - writtenBefore).isEqualTo(1);
        Map<String, Double> echo = deltas(before);

        // A genuine later edit in the ERP (well beyond the clock-skew tolerance) gets through, and is not written back.
        erp.update("UPDATE CUSTMST SET CPHON = '0221 9876511', LCHG = ?, LUSR = 'HKOCH' WHERE CUSTNO = '0000010010'",
                Timestamp.valueOf(written.toLocalDateTime().plusSeconds(10)));
        await().atMost(WAIT).until(() -> "+492219876511".equals(crm.queryForObject("select phone from account where id = ?", String.class, id)));
        long polls2 = pollerExchanges();
        await().atMost(WAIT).until(() -> pollerExchanges() >= polls2 + 10);
        assertThat(erpRow(erp, "LUSR")).isEqualTo("HKOCH");
        assertThat(outcomes.erpWrites("WRITTEN") - writtenBefore).isEqualTo(1);

        // A genuine later edit in the CRM gets through too.
        edits.update(id, Map.of("email", "zentrale@mueller-gmbh.de"));
        await().atMost(WAIT).until(() -> "zentrale@mueller-gmbh.de".equals(erpRow(erp, "CEMAL")));
        assertThat(erpRow(erp, "CPHON")).as("the ERP's own later edit survives").isEqualTo("+492219876511");
        System.out.printf("FIGURES test3: CRM edit -> 1 ERP write; over %d poll cycles the echo was absorbed %s; ERP edit -> CRM, not written back; later CRM edit -> ERP (%.0f ERP writes in all)%n",
                pollerExchanges() - polls, echo, outcomes.erpWrites("WRITTEN") - writtenBefore);
    }

    private Map<String, String> storedT1Names() {
        Map<String, String> stored = new HashMap<>();
        crmJdbc.getJdbcTemplate().query("""
                select x.external_id, a.name from xref x join account a on a.id = x.crm_id
                where x.entity_type = 'ACCOUNT' and x.system = 'ERP' and x.external_id like 'T1-%'""",
                rs -> {
                    stored.put(rs.getString(1), rs.getString(2));
                });
        return stored;
    }

    private static String erpRow(JdbcTemplate erp, String column) {
        String v = erp.queryForObject("SELECT " + column + " FROM CUSTMST WHERE CUSTNO = '0000010010'", String.class);
        return v == null ? null : v.strip();
    }

    private long pollerExchanges() {
        return camel.getCamelContextExtension().getContextPlugin(org.apache.camel.api.management.ManagedCamelContext.class)
                .getManagedRoute("account-erp-to-kafka").getExchangesTotal();
    }

    @Test
    void simultaneousEditsOnBothSidesGoToTheReviewListAndTheChosenValueReachesBoth() throws Exception {
        JdbcTemplate erp = new JdbcTemplate(erpDataSource);
        JdbcTemplate crm = crmJdbc.getJdbcTemplate();
        UUID id = crm.queryForObject("select crm_id from xref where entity_type = 'ACCOUNT' and system = 'ERP' and external_id = '0000010012'", UUID.class);
        camel.getRouteController().stopRoute("crm-to-erp");
        edits.update(id, Map.of("website", "www.baeckerei-schroeder.example"));
        Timestamp edited = crm.queryForObject("select edited_at from field_edit where crm_id = ? and field = 'website'", Timestamp.class, id);
        // Someone in the ERP changes the same field one second later (inside the 5 s tolerance).
        erp.update("UPDATE CUSTMST SET CWWW = 'schroeder-baeckerei.example', LCHG = ?, LUSR = 'MBROWN' WHERE CUSTNO = '0000010012'",
                Timestamp.valueOf(edited.toInstant().plusSeconds(1).atZone(java.time.ZoneOffset.UTC).toLocalDateTime()));
        JsonNode conflict = await().atMost(WAIT).until(() -> getJson("viewer", "/api/conflicts?status=OPEN"),
                list -> list.findValues("crmId").stream().anyMatch(v -> v.asText().equals(id.toString())));
        JsonNode mine = java.util.stream.StreamSupport.stream(conflict.spliterator(), false)
                .filter(c -> c.get("crmId").asText().equals(id.toString())).findFirst().orElseThrow();
        assertThat(mine.get("field").asText()).isEqualTo("website");
        assertThat(mine.get("crmValue").asText()).isEqualTo("www.baeckerei-schroeder.example");
        assertThat(mine.get("sourceValue").asText()).isEqualTo("schroeder-baeckerei.example");
        assertThat(crm.queryForObject("select website from account where id = ?", String.class, id)).isEqualTo("www.baeckerei-schroeder.example");
        camel.getRouteController().startRoute("crm-to-erp");

        String resolve = "/api/conflicts/" + mine.get("id").asLong() + "/resolve";
        assertThat(post("viewer", resolve, "{\"keep\":\"SOURCE\"}").statusCode()).isEqualTo(403);
        assertThat(post("admin", resolve, "{\"keep\":\"SOURCE\"}").statusCode()).isEqualTo(204);
        await().atMost(WAIT).until(() -> "schroeder-baeckerei.example".equals(crm.queryForObject("select website from account where id = ?", String.class, id))
                && "schroeder-baeckerei.example|CRMHUB".equals(erp.queryForObject("SELECT CONCAT(TRIM(CWWW), '|', TRIM(LUSR)) FROM CUSTMST WHERE CUSTNO = '0000010012'", String.class)));
        assertThat(post("admin", resolve, "{\"keep\":\"CRM\"}").statusCode()).as("resolved once").isEqualTo(404);
        System.out.printf("FIGURES conflicts: CRM and ERP edits of 'website' 1 s apart -> review list; resolved keep=SOURCE -> both systems hold '%s'%n",
                crm.queryForObject("select website from account where id = ?", String.class, id));
    }

    private JsonNode getJson(String user, String path) throws Exception {
        return new AdminClient(port).getJson(user, path);
    }

    @Test
    void poisonGoesToTheDeadLetterTopicWhileTheRestFlowsAndIsReplayedOnceAfterAFix() throws Exception {
        JdbcTemplate jdbc = crmJdbc.getJdbcTemplate();
        // The poison: data a database rule refuses until the rule is fixed.
        jdbc.execute("alter table account add constraint it_no_poison check (name <> 'POISON GmbH')");
        long unreplayedBefore = await().atMost(WAIT).until(backlog.figures()::getDeadLettersUnreplayed, n -> n >= 0);
        List<SourceRecord> events = new ArrayList<>();
        Instant base = Instant.parse("2025-04-01T08:00:00Z");
        for (int i = 0; i < 1000; i++) {
            events.add(account(String.format("T5-%05d", i), "Gut " + i + " GmbH", base.plusSeconds(i)));
            if (i == 500) {
                events.add(account("T5-POISON", "POISON GmbH", base.plusSeconds(i)));
            }
        }
        publish(events);

        await().atMost(WAIT).until(() -> count("select count(*) from xref where external_id like 'T5-0%'") == 1000);
        DeadLetters.DeadLetter poison = await().atMost(WAIT).until(() -> deadLetters.list(1000).stream()
                .filter(d -> "T5-POISON".equals(d.key())).findFirst(), java.util.Optional::isPresent).orElseThrow();
        assertThat(poison.headers().get("hub-dlq-cause")).contains("it_no_poison");
        assertThat(poison.headers().get("hub-dlq-source-topic")).isEqualTo(env.getProperty("hub.topics.erp-account-changed"));
        assertThat(poison.headers()).containsKeys("hub-dlq-source-partition", "hub-dlq-source-offset");
        assertThat(poison.payload()).contains("POISON GmbH");
        assertThat(count("select count(*) from xref where external_id = 'T5-POISON'")).isZero();

        await().atMost(WAIT).until(backlog.figures()::getDeadLettersUnreplayed, n -> n == unreplayedBefore + 1);

        String replay = "/api/dead-letters/" + poison.partition() + "/" + poison.offset() + "/replay";
        assertThat(post("viewer", replay, "{\"reason\":\"constraint fixed\"}").statusCode()).isEqualTo(403);
        jdbc.execute("alter table account drop constraint it_no_poison");
        HttpResponse<String> replayed = post("admin", replay, "{\"reason\":\"constraint fixed\"}");
        assertThat(replayed.statusCode()).as(replayed.body()).isEqualTo(200);
        await().atMost(WAIT).until(() -> count("select count(*) from xref where external_id = 'T5-POISON'") == 1);
        assertThat(post("admin", replay, "{}").statusCode()).as("replayed once unless forced").isEqualTo(409);
        await().atMost(WAIT).until(backlog.figures()::getDeadLettersUnreplayed, n -> n == unreplayedBefore);
        assertThat(deadLetters.list(1000).stream().filter(d -> "T5-POISON".equals(d.key())).findFirst().orElseThrow().replayed()).isTrue();
        System.out.printf("FIGURES test5: 1000 good + 1 poison -> %d applied, poison at %s/%d/%d, cause '%s', replayed -> %d row%n",
                count("select count(*) from xref where external_id like 'T5-0%'"), env.getProperty("hub.topics.dead-letter"),
                poison.partition(), poison.offset(), poison.headers().get("hub-dlq-cause"),
                count("select count(*) from xref where external_id = 'T5-POISON'"));
    }

    @Test
    void aPoisonTheDeadLetterTopicRefusesIsNotCommittedButTriedAgainUntilTheTopicTakesIt() throws Exception {
        JdbcTemplate jdbc = crmJdbc.getJdbcTemplate();
        String topic = env.getProperty("hub.topics.erp-account-changed");
        var deadLetterTopic = new org.apache.kafka.common.config.ConfigResource(org.apache.kafka.common.config.ConfigResource.Type.TOPIC,
                env.getProperty("hub.topics.dead-letter"));
        jdbc.execute("alter table account add constraint it_no_poison9 check (name <> 'POISON9 GmbH')");
        // a poison of 4 KB, and a dead-letter topic that takes at most 1 KB per message
        SourceRecord refused = account("T9-POISON", "POISON9 GmbH", Instant.parse("2025-05-01T08:00:00Z"));
        Map<String, String> columns = new LinkedHashMap<>(refused.columns());
        columns.put("CMEMO", "x".repeat(4000));
        SourceRecord poison = new SourceRecord(refused.system(), refused.entity(), refused.externalId(), refused.changedAt(), columns);
        try (var admin = org.apache.kafka.clients.admin.Admin.create(Map.<String, Object>of("bootstrap.servers", env.getProperty("camel.component.kafka.brokers")));
             KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers", env.getProperty("camel.component.kafka.brokers"),
                     "acks", "all"), new StringSerializer(), new StringSerializer())) {
            if (!admin.listTopics().names().get().contains(deadLetterTopic.name())) {
                admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(deadLetterTopic.name(),
                        java.util.Optional.empty(), java.util.Optional.empty()))).all().get();
            }
            admin.incrementalAlterConfigs(Map.of(deadLetterTopic, List.of(new org.apache.kafka.clients.admin.AlterConfigOp(
                    new org.apache.kafka.clients.admin.ConfigEntry("max.message.bytes", "1024"),
                    org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET)))).all().get();
            long triesBefore = failedAttempts("publish-dead-letter");
            try {
                var sent = producer.send(new ProducerRecord<>(topic, poison.externalId(), objectMapper.writeValueAsString(poison))).get();
                // refused by the dead-letter topic, and tried again, the poison's exchange waiting meanwhile
                await().atMost(WAIT).until(() -> failedAttempts("publish-dead-letter") - triesBefore >= 3);
                // a record behind it on its partition waits for it
                SourceRecord behind = account("T9-BEHIND", "Hinten GmbH", Instant.parse("2025-05-01T08:00:01Z"));
                producer.send(new ProducerRecord<>(topic, sent.partition(), behind.externalId(), objectMapper.writeValueAsString(behind))).get();
                long triesMeanwhile = failedAttempts("publish-dead-letter");
                await().atMost(WAIT).until(() -> failedAttempts("publish-dead-letter") - triesMeanwhile >= 3);
                assertThat(deadLetters.list(1000)).noneMatch(d -> "T9-POISON".equals(d.key()));
                assertThat(count("select count(*) from xref where external_id in ('T9-POISON', 'T9-BEHIND')")).isZero();
                var committed = admin.listConsumerGroupOffsets(env.getProperty("camel.component.kafka.group-id"))
                        .partitionsToOffsetAndMetadata().get().get(new org.apache.kafka.common.TopicPartition(topic, sent.partition()));
                assertThat(committed == null ? 0 : committed.offset()).as("nothing committed past the poison").isLessThanOrEqualTo(sent.offset());
            } finally {
                admin.incrementalAlterConfigs(Map.of(deadLetterTopic, List.of(new org.apache.kafka.clients.admin.AlterConfigOp(
                        new org.apache.kafka.clients.admin.ConfigEntry("max.message.bytes", ""),
                        org.apache.kafka.clients.admin.AlterConfigOp.OpType.DELETE)))).all().get();
            }
            // the topic takes it now: the poison is dead-lettered whole, the record behind it applied
            DeadLetters.DeadLetter dead = await().atMost(WAIT).until(() -> deadLetters.list(1000).stream()
                    .filter(d -> "T9-POISON".equals(d.key())).findFirst(), java.util.Optional::isPresent).orElseThrow();
            assertThat(dead.payload()).contains("x".repeat(4000));
            await().atMost(WAIT).until(() -> count("select count(*) from xref where external_id = 'T9-BEHIND'") == 1);
            System.out.printf("FIGURES dead-letter topic refusing: the poison refused %d times, uncommitted, the record behind it waited;"
                    + " topic fixed -> poison dead-lettered whole (%d bytes), record behind applied%n",
                    failedAttempts("publish-dead-letter") - triesBefore, dead.payload().length());
        } finally {
            jdbc.execute("alter table account drop constraint it_no_poison9");
        }
    }

    @Test
    void anOutageOfTheCrmStoreHoldsChangesBackUntilItEndsAndDeadLettersNone() throws Exception {
        long failedBefore = failedAttempts("apply-account-change");
        List<SourceRecord> events = accounts("T7", 100, "Ausfall %d OHG", Instant.parse("2025-07-01T08:00:00Z"));
        long failedDuring = withCrmStoreOut(() -> {
            publish(events);
            // Longer than the retry budget of a faulty message: each of the 4 consumers tries its
            // record 6 times, where max-redeliveries (2) would have dead-lettered it after 3.
            await().atMost(WAIT).until(() -> failedAttempts("apply-account-change") >= failedBefore + 4 * 6);
            return failedAttempts("apply-account-change") - failedBefore;
        });
        // The pool comes back with the store: the first look-ups may still find it empty.
        await().atMost(WAIT).ignoreExceptions().until(() -> count("select count(*) from xref where external_id like 'T7-%'") == 100
                || deadLetters.list(1000).stream().anyMatch(d -> d.key() != null && d.key().startsWith("T7-")));
        assertThat(deadLetters.list(1000)).noneMatch(d -> d.key() != null && d.key().startsWith("T7-"));
        assertThat(count("select count(*) from account where name like 'Ausfall %'")).isEqualTo(100);
        System.out.printf("FIGURES outage: CRM store refused connections, 100 changes published -> %d failed attempts, "
                + "0 dead letters; store back -> %d applied%n", failedDuring, count("select count(*) from xref where external_id like 'T7-%'"));
    }

    @Test
    void aConsumerStoppedWhileItsBatchWaitsOutAnOutageLeavesTheBatchForTheNextStart() throws Exception {
        long failedBefore = failedAttempts("apply-account-change");
        List<SourceRecord> events = accounts("T10", 20, "Neustart %d KG", Instant.parse("2025-07-02T08:00:00Z"));
        withCrmStoreOut(() -> {
            publish(events);
            await().atMost(WAIT).until(() -> failedAttempts("apply-account-change") >= failedBefore + 8);
            // the hub stops (a restart during the outage): its consumers give up their waiting batches
            camel.getRouteController().stopRoute("account-kafka-to-crm", 2, java.util.concurrent.TimeUnit.SECONDS);
            return null;
        });
        camel.getRouteController().startRoute("account-kafka-to-crm");
        await().atMost(WAIT).ignoreExceptions().until(() -> count("select count(*) from xref where external_id like 'T10-%'") == 20);
        assertThat(count("select count(*) from account where name like 'Neustart %'")).isEqualTo(20);
        System.out.printf("FIGURES stopped in an outage: CRM store out, 20 changes published, the consumer stopped while its batch waited"
                + " (%d failed attempts); store back, consumer started -> %d applied%n",
                failedAttempts("apply-account-change") - failedBefore, count("select count(*) from xref where external_id like 'T10-%'"));
    }

    /** Runs {@code during} while the CRM store is away: its connections cut, no new ones taken. */
    private <T> T withCrmStoreOut(java.util.concurrent.Callable<T> during) throws Exception {
        return CrmStoreOutage.during(env, crmJdbc.getJdbcTemplate(), during);
    }

    /** Failed calls of a route step, every redelivery counted (Camel's JMX statistics). */
    private long failedAttempts(String processorId) throws Exception {
        return failedAttempts(camel, processorId);
    }

    private static long failedAttempts(org.apache.camel.CamelContext camel, String processorId) throws Exception {
        var processor = camel.getCamelContextExtension().getContextPlugin(org.apache.camel.api.management.ManagedCamelContext.class)
                .getManagedProcessor(processorId);
        return processor == null ? 0 : processor.getExchangesFailed();
    }

    @Test
    void aBurstOfCrmChangesLeavesTheOutboxBatchAfterBatchEachEventOnceKeyedByItsRecord() throws Exception {
        // 4,321 events: two full batches of 2,000 and a part, relayed in one poll
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < 4321; i++) {
            ids.add(UUID.randomUUID());
        }
        crmJdbc.getJdbcTemplate().batchUpdate("""
                insert into outbox_event (aggregate_type, aggregate_id, event_type, origin, payload)
                values ('ACCOUNT', ?, 'ACCOUNT_UPDATED', ?, cast(? as jsonb))""", ids, 500,
                (ps, id) -> {
                    ps.setObject(1, id);
                    ps.setString(2, id.hashCode() % 3 == 0 ? "ERP" : "CRM");
                    ps.setString(3, "{\"name\": \"Burst " + id + "\"}");
                });
        String inList = ids.stream().map(id -> "'" + id + "'").collect(java.util.stream.Collectors.joining(","));
        await().atMost(WAIT).until(() -> count("select count(*) from outbox_event where published_at is null and aggregate_id in ("
                + inList + ")") == 0);

        Map<String, Integer> seen = new HashMap<>();
        Map<String, String> mismatched = new HashMap<>();
        String topic = env.getProperty("hub.topics.crm-changed");
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<String, String>(Map.of(
                "bootstrap.servers", env.getProperty("camel.component.kafka.brokers"), "enable.auto.commit", false),
                new org.apache.kafka.common.serialization.StringDeserializer(), new org.apache.kafka.common.serialization.StringDeserializer())) {
            var partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<org.apache.kafka.common.TopicPartition, Long> end = consumer.endOffsets(partitions);
            Set<String> wanted = new java.util.HashSet<>(ids.stream().map(UUID::toString).toList());
            await().atMost(WAIT).until(() -> {
                for (var r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.key() != null && wanted.contains(r.key())) {
                        seen.merge(r.key(), 1, Integer::sum);
                        JsonNode event = objectMapper.readTree(r.value());
                        if (!event.path("aggregateId").asText().equals(r.key())
                                || !event.path("eventType").asText().equals(header(r, io.crmhub.routes.KafkaRecords.EVENT_TYPE))
                                || !event.path("origin").asText().equals(header(r, io.crmhub.routes.KafkaRecords.ORIGIN))) {
                            mismatched.put(r.key(), r.value());
                        }
                    }
                }
                return end.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
            });
        }
        assertThat(seen).hasSize(4321);
        assertThat(seen.values()).as("each event once").containsOnly(1);
        assertThat(mismatched.values().stream().limit(3).toList()).as("keyed by the record the event is about, its type and origin as headers"
                + " (%d records not)", mismatched.size()).isEmpty();
        System.out.printf("FIGURES outbox: 4,321 events in the outbox -> %d records on %s, each once, keyed by its record, type and origin as headers%n",
                seen.size(), topic);
    }

    private static String header(org.apache.kafka.clients.consumer.ConsumerRecord<String, String> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void anErpChangeIsPassedByUnreadOnItsHeadersAndAChangeRelayedWithoutHeadersIsStillRead() throws Exception {
        // Both routes that read every CRM change would dead-letter this body, had they read it.
        String topic = env.getProperty("hub.topics.crm-changed");
        String key = UUID.randomUUID().toString();
        double fromErp = outcomes.erpWrites("FROM_ERP");
        long eventId = Long.MAX_VALUE - new Random().nextInt(1_000_000);
        var unread = new ProducerRecord<>(topic, key, "{ not JSON, and no reader should try");
        unread.headers().add(io.crmhub.routes.KafkaRecords.ORIGIN, "ERP".getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .add(io.crmhub.routes.KafkaRecords.EVENT_TYPE, "ACCOUNT_UPDATED".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        // as a hub of an earlier version relayed a CRM edit: no headers; its account is linked to no ERP customer
        String old = objectMapper.writeValueAsString(new io.crmhub.connectors.crm.OutboxEvent(eventId,
                "ACCOUNT", UUID.randomUUID(), "ACCOUNT_UPDATED", "CRM", objectMapper.readTree("{\"name\": \"Alt GmbH\"}"),
                java.time.OffsetDateTime.now()));
        long lastOffset;
        int partition;
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                "bootstrap.servers", env.getProperty("camel.component.kafka.brokers"), "acks", "all"),
                new StringSerializer(), new StringSerializer())) {
            producer.send(unread).get();
            var sent = producer.send(new ProducerRecord<>(topic, key, old)).get();
            lastOffset = sent.offset();
            partition = sent.partition();
        }
        var tp = new org.apache.kafka.common.TopicPartition(topic, partition);
        try (var admin = org.apache.kafka.clients.admin.Admin.create(Map.of("bootstrap.servers", env.getProperty("camel.component.kafka.brokers")))) {
            for (String group : List.of(env.getProperty("camel.component.kafka.group-id"), env.getProperty("hub.saga.order-consumer-group"))) {
                await().atMost(WAIT).until(() -> {
                    var committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().get(tp);
                    return committed != null && committed.offset() > lastOffset;
                });
            }
        }
        assertThat(outcomes.erpWrites("FROM_ERP") - fromErp).as("the ERP change counted, not sent back").isGreaterThanOrEqualTo(1);
        assertThat(deadLetters.list(1000)).as("the unreadable body was not read").noneMatch(d -> key.equals(d.key()));
        assertThat(count("select count(*) from processed_message where consumer = 'erp-writer' and message_key = 'outbox:" + eventId + "'"))
                .as("the change without headers read and handled by the ERP writer").isEqualTo(1);
        System.out.printf("FIGURES headers: an ERP change with an unreadable body passed by both routes (0 dead letters);"
                + " a change without headers read by the ERP writer (its key recorded)%n");
    }

    @Test
    void aStoppedConsumerLeavesAVisibleLagThatDrainsWhenItStartsAgain() throws Exception {
        String lag = env.getProperty("camel.component.kafka.group-id") + " " + env.getProperty("hub.topics.erp-account-changed");
        // Quiet first: nothing on its way in (an earlier test's last ERP write waits out its second, then travels).
        await().atMost(WAIT).until(() -> backlog.figures().getConsumerLag().get(lag) == 0
                && backlog.figures().getErpChangesPending().get("erp.account") == 0);
        var routes = camel.getRouteController();
        // The poller too: nothing but this test's 50 changes reaches the topic meanwhile.
        routes.stopRoute("account-erp-to-kafka");
        routes.stopRoute("account-kafka-to-crm");
        List<SourceRecord> events = accounts("T6", 50, "Rückstand %d KG", Instant.parse("2025-06-01T08:00:00Z"));
        try {
            publish(events);
            // and ERP users enter 7 customers, which the stopped poller leaves behind its watermark
            LocalDateTime after = crmJdbc.getJdbcTemplate().queryForObject(
                    "select last_changed_at from watermark where source = 'erp.account'", Timestamp.class).toLocalDateTime();
            JdbcTemplate erp = new JdbcTemplate(erpDataSource);
            for (int i = 0; i < 7; i++) {
                erp.update("INSERT INTO CUSTMST (CUSTNO, CNAME, CCTRY, CSTAT, LCHG, LUSR) VALUES (?, ?, 'DE', 'A', ?, 'IT')",
                        String.format("T6E-%05d", i), "Rückstand ERP " + i + " KG", Timestamp.valueOf(after.plusSeconds(i / 3)));
            }
            await().atMost(WAIT).until(() -> backlog.figures().getConsumerLag().get(lag) == 50
                    && backlog.figures().getErpChangesPending().get("erp.account") == 7);
            assertThat(count("select count(*) from xref where external_id like 'T6-%'")).isZero();
        } finally {
            routes.startRoute("account-kafka-to-crm");
            routes.startRoute("account-erp-to-kafka");
        }
        await().atMost(WAIT).until(() -> count("select count(*) from xref where external_id like 'T6%'") == 57
                && backlog.figures().getConsumerLag().get(lag) == 0 && backlog.figures().getErpChangesPending().get("erp.account") == 0);
        System.out.printf("FIGURES backlog: consumer and poller stopped, 50 changes published, 7 ERP rows entered -> lag 50,"
                + " ERP changes pending 7; started again -> 57 applied, lag 0, pending 0%n");
    }

    @Test
    void aMassChangeInTheErpIsPublishedInOnePollPageAfterPageAndAppliedOnce() throws Exception {
        JdbcTemplate erp = new JdbcTemplate(erpDataSource);
        JdbcTemplate crm = crmJdbc.getJdbcTemplate();
        var routes = camel.getRouteController();
        int rows = 2001;
        routes.stopRoute("account-erp-to-kafka");
        try {
            // One ERP statement stamps all its rows with the same second: a tie across five pages of 500.
            LocalDateTime at = crm.queryForObject("select last_changed_at from watermark where source = 'erp.account'",
                    Timestamp.class).toLocalDateTime().plusSeconds(1);
            List<Object[]> batch = new ArrayList<>();
            for (int i = 0; i < rows; i++) {
                batch.add(new Object[]{String.format("T8-%05d", i), "Massenänderung " + i + " GmbH", Timestamp.valueOf(at)});
            }
            erp.batchUpdate("INSERT INTO CUSTMST (CUSTNO, CNAME, CCTRY, CSTAT, CRTRM, LCHG, LUSR) VALUES (?, ?, 'DE', 'A', 'N30', ?, 'MASS')",
                    batch);
            // The poller reads a second once the ERP's clock has passed it (hub.erp.settle): let it pass first.
            await().atMost(WAIT).until(() -> erp.queryForObject("SELECT LOCALTIMESTAMP", Timestamp.class).toLocalDateTime()
                    .isAfter(at.plusSeconds(2)));
            org.apache.camel.builder.NotifyBuilder firstPoll = new org.apache.camel.builder.NotifyBuilder(camel)
                    .fromRoute("account-erp-to-kafka").whenCompleted(1).create();
            routes.startRoute("account-erp-to-kafka");
            assertThat(firstPoll.matches(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            // One page per poll would have left the watermark at T8-00499 here (and needed 5 polls).
            assertThat(crm.queryForObject("select last_key from watermark where source = 'erp.account'", String.class).strip())
                    .as("the first poll went through all five pages").isEqualTo(String.format("T8-%05d", rows - 1));
        } finally {
            if (!routes.getRouteStatus("account-erp-to-kafka").isStarted()) {
                routes.startRoute("account-erp-to-kafka");
            }
        }
        await().atMost(WAIT).until(() -> count("select count(*) from xref where external_id like 'T8-%'") == rows);
        assertThat(count("select count(*) from account where name like 'Massenänderung %'")).as("each once").isEqualTo(rows);
        System.out.printf("FIGURES mass change: %,d ERP rows stamped with one second -> watermark at the last row after the"
                + " first poll; %,d accounts in the CRM%n", rows, count("select count(*) from account where name like 'Massenänderung %'"));
    }

    @Test
    void aHubStoppedWhileItsConsumersWaitOutAnOutageStopsInTimeAndDeadLettersNothing() throws Exception {
        var routes = camel.getRouteController();
        // the second hub's consumers get every partition of the account topic
        routes.stopRoute("account-kafka-to-crm");
        ConfigurableApplicationContext second;
        try {
            second = secondHub("--hub.kafka.consumers=4", "--hub.retry.initial-delay=10ms", "--hub.retry.max-delay=50ms",
                    "--hub.crm.connection-timeout=2s", "--camel.main.shutdown-timeout=" + SHUTDOWN_TIMEOUT.toSeconds());
        } catch (RuntimeException e) {
            routes.startRoute("account-kafka-to-crm");
            throw e;
        }
        var secondCamel = second.getBean(org.apache.camel.CamelContext.class);
        List<SourceRecord> events = accounts("T12", 40, "Abschaltung %d KG", Instant.parse("2025-07-03T08:00:00Z"));
        long[] stopMillis = {0};
        long failedDuring;
        try {
            failedDuring = withCrmStoreOut(() -> {
                publish(events);
                // the second hub's consumers hold records and wait on the store
                await().atMost(WAIT).until(() -> failedAttempts(secondCamel, "apply-account-change") >= 4);
                long failed = failedAttempts(secondCamel, "apply-account-change");
                long start = System.nanoTime();
                second.close();
                stopMillis[0] = (System.nanoTime() - start) / 1_000_000;
                return failed;
            });
        } finally {
            second.close();
            routes.startRoute("account-kafka-to-crm");
        }
        await().atMost(WAIT).ignoreExceptions().until(() -> count("select count(*) from xref where external_id like 'T12-%'") == 40);
        assertThat(deadLetters.list(1000)).as("nothing dead-lettered").noneMatch(d -> d.key() != null && d.key().startsWith("T12-"));
        assertThat(count("select count(*) from account where name like 'Abschaltung %'")).isEqualTo(40);
        // the graceful wait, then a forced stop (the retries end at once; each Kafka consumer gets at most
        // its own 30 s to close): not the outage's length
        assertThat(Duration.ofMillis(stopMillis[0])).isLessThan(SHUTDOWN_TIMEOUT.plusSeconds(30));
        System.out.printf("FIGURES hub stopped in an outage: CRM store out, 40 changes, a second hub's consumers waiting (%d failed"
                + " attempts before the stop) -> it stopped in %,d ms (shutdown timeout %d s); store back -> 40 applied by the"
                + " first, 0 dead letters%n", failedDuring, stopMillis[0], SHUTDOWN_TIMEOUT.toSeconds());
    }

    /** A second hub instance on the same CRM store, ERP, Kafka, mail and billing as this test's. */
    private ConfigurableApplicationContext secondHub(String... settings) {
        List<String> args = new ArrayList<>(List.of("--server.port=0", "--camel.main.name=crm-hub-second",
                "--hub.embedded.enabled=false", "--spring.profiles.active=embedded", "--hub.erp.poll-interval=300ms"));
        args.addAll(List.of(settings));
        for (String p : List.of("hub.crm.url", "hub.crm.username", "hub.crm.password", "hub.erp.url", "hub.erp.username",
                "hub.erp.password", "camel.component.kafka.brokers", "hub.mail.host", "hub.mail.smtp-port",
                "hub.mail.imap-port", "hub.mail.username", "hub.mail.password", "hub.billing.url", "hub.billing.api-key")) {
            args.add("--" + p + "=" + env.getProperty(p, ""));
        }
        return new SpringApplicationBuilder(HubApplication.class).run(args.toArray(String[]::new));
    }

    @Test
    void twoHubInstancesShareTheWorkAndOneTakesOverFromTheOtherWithoutDuplicatesOrLoss() throws Exception {
        try (ConfigurableApplicationContext second = secondHub("--hub.kafka.consumers=4")) {
            SyncOutcomes secondOutcomes = second.getBean(SyncOutcomes.class);
            JdbcTemplate erp = new JdbcTemplate(erpDataSource);
            LocalDateTime t = LocalDateTime.of(2025, 5, 1, 9, 0);
            // Three rows per second: ties across pages, and across the hand-over.
            insertErpAccounts(erp, 0, 300, t);
            await().atMost(WAIT).until(() -> count("select count(*) from xref where external_id like 'T4-%'") == 300);

            // Instance 1 goes down (a rolling restart): instance 2 must take over polling and consuming.
            var routes = camel.getRouteController();
            routes.stopRoute("account-erp-to-kafka");
            routes.stopRoute("account-kafka-to-crm");
            insertErpAccounts(erp, 300, 600, t);
            await().atMost(WAIT).until(() -> count("select count(*) from xref where external_id like 'T4-%'") == 600);
            String leaseHolder = crmJdbc.getJdbcTemplate().queryForObject(
                    "select owner from poller_lease where source = 'erp.account'", String.class);
            routes.startRoute("account-kafka-to-crm");
            routes.startRoute("account-erp-to-kafka");

            assertThat(count("select count(*) from account where name like 'Zwei Instanzen %'")).isEqualTo(600);
            assertThat(secondOutcomes.count("CREATED")).as("instance 2 did the second half").isGreaterThanOrEqualTo(300);
            assertThat(leaseHolder).isEqualTo(second.getBean(io.crmhub.connectors.store.PollerLeases.class).owner());
            System.out.printf("FIGURES test4: 600 ERP rows, instance 1 stopped after 300 -> %d CRM rows, instance 2 created %.0f, lease then held by instance 2%n",
                    count("select count(*) from account where name like 'Zwei Instanzen %'"), secondOutcomes.count("CREATED"));
        }
    }

    private static void insertErpAccounts(JdbcTemplate erp, int from, int to, LocalDateTime t) {
        for (int i = from; i < to; i++) {
            erp.update("INSERT INTO CUSTMST (CUSTNO, CNAME, CCTRY, CSTAT, LCHG, LUSR) VALUES (?, ?, 'DE', 'A', ?, 'IT')",
                    String.format("T4-%05d", i), "Zwei Instanzen " + i + " AG", Timestamp.valueOf(t.plusSeconds(i / 3)));
        }
    }

    /** {@code n} new ERP accounts {@code prefix-00000} ..., named by {@code name} (%d: their number), a second apart. */
    private static List<SourceRecord> accounts(String prefix, int n, String name, Instant first) {
        List<SourceRecord> events = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            events.add(account(String.format("%s-%05d", prefix, i), String.format(name, i), first.plusSeconds(i)));
        }
        return events;
    }

    private static SourceRecord account(String id, String name, Instant changedAt) {
        Map<String, String> cols = new LinkedHashMap<>();
        cols.put("CUSTNO", id);
        cols.put("CNAME", name);
        cols.put("CCTRY", "DE");
        cols.put("CSTAT", "A");
        cols.put("LCHG", LocalDateTime.ofInstant(changedAt, java.time.ZoneOffset.UTC).toString());
        return new SourceRecord("erp", "account", id, changedAt, cols);
    }

    private void publish(List<SourceRecord> events) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                "bootstrap.servers", env.getProperty("camel.component.kafka.brokers"), "acks", "all"),
                new StringSerializer(), new StringSerializer())) {
            for (SourceRecord e : events) {
                producer.send(new ProducerRecord<>(env.getProperty("hub.topics.erp-account-changed"), e.externalId(),
                        objectMapper.writeValueAsString(e)));
            }
            producer.flush();
        }
    }

    private Map<String, Double> counts() {
        Map<String, Double> m = new LinkedHashMap<>();
        for (String o : List.of("CREATED", "UPDATED", "DUPLICATE", "STALE", "UNCHANGED", "QUARANTINED")) {
            m.put(o, outcomes.count(o));
        }
        return m;
    }

    private Map<String, Double> deltas(Map<String, Double> before) {
        Map<String, Double> now = counts();
        now.replaceAll((k, v) -> v - before.get(k));
        return now;
    }

    private double processedSince(Map<String, Double> before) {
        return deltas(before).values().stream().mapToDouble(Double::doubleValue).sum();
    }

    private long count(String sql) {
        Long n = crmJdbc.getJdbcTemplate().queryForObject(sql, Long.class);
        return n == null ? 0 : n;
    }

    private HttpResponse<String> post(String user, String path, String json) throws Exception {
        return new AdminClient(port).postJson(user, path, json);
    }

}
