package io.crmhub.hub.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.embedded.PostgresStatements;
import io.crmhub.embedded.ProcessCpu;
import io.crmhub.hub.HubApplication;
import io.crmhub.transformers.model.SourceRecord;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

import static org.awaitility.Awaitility.await;

/**
 * Kafka → CRM throughput of the real account route (idempotency, mapping, validation, upsert,
 * outbox) against a naive per-message route (one plain INSERT per message) in the same run, and
 * end-to-end latency at a steady 1,000 events/s. Not part of the test suite: run bench/sync-throughput.
 * <p>
 * Each contender first works through {@code bench.warmup} events of its own, unmeasured: a hub runs
 * for days, and on two cores the JIT compiler of a cold JVM takes more CPU than the work measured.
 * Then {@code bench.rounds} rounds, the contenders taking turns in each; the medians are compared.
 */
@SpringBootTest(classes = HubApplication.class, properties = {"hub.embedded.data-dir=", "hub.erp.poll-interval=${bench.poll-interval:5s}"})
class SyncThroughputBench {

    private static final int EVENTS = Integer.getInteger("bench.events", 20_000);
    private static final int WARMUP = Integer.getInteger("bench.warmup", 20_000);
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 3);
    private static final Map<String, Integer> PHASES = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int RATE = Integer.getInteger("bench.rate", 1_000);
    private static final int RATE_SECONDS = Integer.getInteger("bench.rate-seconds", 10);
    private static final int POLLER_ROWS = Integer.getInteger("bench.poller-rows", 50_000);
    private static final int ERP_RATE = Integer.getInteger("bench.erp-rate", 50);
    private static final int ERP_SECONDS = Integer.getInteger("bench.erp-seconds", 20);
    /** Only the ERP poller's phases: a mass change, and the latency of a steady flow (for work on the poller). */
    private static final boolean POLLER_ONLY = Boolean.getBoolean("bench.poller-only");
    /** Only the relay and the CRM change consumers, on this many outbox events written by SQL (for work on them). */
    private static final int CONSUMERS_ONLY = Integer.getInteger("bench.consumers-only", 0);

    private static final java.util.concurrent.atomic.AtomicLong NAIVE_INSERTS = new java.util.concurrent.atomic.AtomicLong();


    static {
        // read by the embedded services when the application context starts
        PostgresStatements.serverSettings()
                .forEach((name, value) -> System.setProperty("hub.embedded.postgres-settings[" + name + "]", value));
    }

    @Autowired
    CamelContext camel;
    @Autowired
    io.crmhub.routes.SyncOutcomes outcomes;
    @Autowired
    Environment env;
    @Autowired
    NamedParameterJdbcTemplate crmJdbc;
    @Autowired
    ObjectMapper json;
    @Autowired
    org.springframework.context.ApplicationContext ctx;

    @Test
    void measure() throws Exception {
        JdbcTemplate jdbc = crmJdbc.getJdbcTemplate();
        for (String r : List.of("account-erp-to-kafka", "contact-erp-to-kafka", "order-erp-to-kafka", "crm-outbox-to-kafka", "crm-to-erp")) {
            camel.getRouteController().stopRoute(r);
        }
        // Suspended, a Kafka route keeps its consumers in the group with their partitions paused:
        // a round resumes it, so that it is measured as it runs in production, not while it joins.
        camel.getRouteController().suspendRoute("account-kafka-to-crm");
        camel.getRouteController().suspendRoute("order-kafka-to-saga");
        jdbc.execute("create table bench_naive (id text, name text, country text, payload text)");
        String topic = env.getProperty("hub.topics.erp-account-changed");
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("kafka:bench.naive?groupId=bench-naive&consumersCount={{hub.kafka.consumers}}&pollTimeoutMs=200")
                        .routeId("bench-naive-per-message")
                        .unmarshal("sourceRecordJson")
                        .process(e -> {
                            SourceRecord r = e.getMessage().getBody(SourceRecord.class);
                            jdbc.update("insert into bench_naive (id, name, country, payload) values (?, ?, ?, ?)",
                                    r.externalId(), r.columns().get("CNAME"), r.columns().get("CCTRY"), r.columns().toString());
                            NAIVE_INSERTS.incrementAndGet();
                        });
            }
        });
        camel.getRouteController().suspendRoute("bench-naive-per-message");

        if (POLLER_ONLY) {
            poller(jdbc);
            erpLatency(jdbc);
            return;
        }
        if (CONSUMERS_ONLY > 0) {
            // twice: the first round warms the JIT up (the routes' consumers are otherwise cold)
            for (int round = 0; round < 2; round++) {
                // ERP changes of accounts the CRM applied, as the sync's transaction leaves them
                jdbc.update("""
                        insert into outbox_event (aggregate_type, aggregate_id, event_type, origin, payload)
                        select 'account', gen_random_uuid(), 'ACCOUNT_UPDATED', 'ERP', jsonb_build_object('name', 'Bench Firma ' || i || ' GmbH',
                               'country', 'DE', 'status', 'ACTIVE', 'creditTerms', 'NET_30', 'email', 'info@firma' || i || '.example')
                        from generate_series(1, ?) i""", CONSUMERS_ONLY);
                consumers(relay(jdbc), "bench-crm-changed-plain-" + round);
                camel.getRouteController().stopRoute("crm-outbox-to-kafka");
                camel.getRouteController().stopRoute("crm-to-erp");
                camel.getRouteController().suspendRoute("order-kafka-to-saga");
            }
            return;
        }
        Instant base = Instant.parse("2025-08-01T00:00:00Z");
        jdbc.execute("create table bench_plain (id text primary key, name text, country text, payload text)");
        PlainClient plainClient = new PlainClient(jdbc);
        // Round 0 warms each contender up and is not counted; the rounds after it take turns, so
        // that the machine's drift touches all contenders alike.
        List<Measured[]> rounds = new java.util.ArrayList<>();
        double rowsPerEvent = 0;
        for (int round = 0; round <= ROUNDS; round++) {
            int n = round == 0 ? WARMUP : EVENTS;
            String naivePrefix = "N" + round;
            // counters read before publishing: a route suspended just after it started may take
            // some of the warm-up round's events before its pause holds
            long naiveBefore = NAIVE_INSERTS.get();
            publish("bench.naive", naivePrefix, n, i -> base.plusMillis(i), 0);
            Measured naive = measured(n, () -> drain("bench-naive-per-message", n, NAIVE_INSERTS::get, naiveBefore,
                    () -> count(jdbc, "select count(*) from bench_naive where id like '" + naivePrefix + "-%'")));

            publish(PlainClient.TOPIC, "P" + round, n, i -> base.plusMillis(i), 0);
            boolean breakdown = round == ROUNDS;
            if (breakdown) {
                PostgresStatements.reset(jdbc.getDataSource());
            }
            Measured plain = measured(n, () -> plainClient.drain(n));
            if (breakdown) {
                PostgresStatements.print(jdbc.getDataSource(), "the plain client, new accounts, last round", 8, n, "event");
            }

            long rowsBefore = rowsWritten(jdbc);
            String writerPrefix = "W" + round;
            Measured writer = measured(n, () -> writerAlone(writerPrefix, n, base));
            rowsPerEvent = (rowsWritten(jdbc) - rowsBefore) / (double) n;

            String realPrefix = "R" + round;
            long realBefore = (long) outcomes.count("CREATED");
            publish(topic, realPrefix, n, i -> base.plusMillis(i), 0);
            if (breakdown) {
                PostgresStatements.reset(jdbc.getDataSource());
            }
            Measured real = measured(n, () -> drain("account-kafka-to-crm", n, () -> (long) outcomes.count("CREATED"), realBefore,
                    () -> count(jdbc, "select count(*) from xref where external_id like '" + realPrefix + "-%'")));
            if (breakdown) {
                PostgresStatements.print(jdbc.getDataSource(), "the real route, new accounts, last round", 20, n, "event");
            }

            // The same records changed a day later in the ERP (new credit terms), as most of a
            // running sync's traffic is: the plain client upserts over its rows, the route updates.
            publish(PlainClient.TOPIC, "P" + round, n, i -> base.plusSeconds(86_400).plusMillis(i), 0, 1);
            Measured plainUpdate = measured(n, () -> plainClient.drain(n));
            long updatedBefore = (long) outcomes.count("UPDATED");
            publish(topic, realPrefix, n, i -> base.plusSeconds(86_400).plusMillis(i), 0, 1);
            Measured realUpdate = measured(n, () -> drain("account-kafka-to-crm", n, () -> (long) outcomes.count("UPDATED"), updatedBefore,
                    () -> count(jdbc, "select count(*) from xref x join account a on a.id = x.crm_id where x.external_id like '"
                            + realPrefix + "-%' and a.credit_terms = 'NET_30'")));
            if (round > 0) {
                rounds.add(new Measured[]{naive, plain, writer, real, plainUpdate, realUpdate});
                System.out.printf("BENCH   round %d: naive %,.0f, plain client %,.0f, route's work alone %,.0f, real route %,.0f events/s;"
                                + " updates: plain client %,.0f, real route %,.0f events/s%n",
                        round, naive.rate(), plain.rate(), writer.rate(), real.rate(), plainUpdate.rate(), realUpdate.rate());
            }
        }
        double naive = median(rounds, 0, Measured::rate);
        double plain = median(rounds, 1, Measured::rate);
        double writer = median(rounds, 2, Measured::rate);
        double real = median(rounds, 3, Measured::rate);
        double plainUpdate = median(rounds, 4, Measured::rate);
        double realUpdate = median(rounds, 5, Measured::rate);

        System.out.printf("%nBENCH Kafka->CRM, %d rounds of %d events after a warm-up round of %d, %s consumer threads, batches of %s, 2 cores (median, range):%n",
                ROUNDS, EVENTS, WARMUP, env.getProperty("hub.kafka.consumers"), env.getProperty("hub.kafka.batch-size"));
        System.out.printf("BENCH   naive per-message route (one INSERT, no idempotency/mapping): %,.0f events/s (%s)%n", naive, range(rounds, 0));
        System.out.printf("BENCH   plain client: KafkaConsumer + JDBC batch upsert, 1 thread, no Camel/idempotency/mapping: %,.0f events/s (%s)%n",
                plain, range(rounds, 1));
        System.out.printf("BENCH   the route's work without Kafka/Camel (accountInbound.applyJson, batches of 500, 1 thread): %,.0f events/s (%s)%n",
                writer, range(rounds, 2));
        System.out.printf("BENCH     rows written per new account: %.1f (account, xref, processed key, outbox event, blocking keys) = %,.0f rows/s%n",
                rowsPerEvent, writer * rowsPerEvent);
        System.out.printf("BENCH   real route (key + xref + mapping + validation + upsert + outbox): %,.0f events/s (%s; %.2f x naive, %.2f x plain client)%n",
                real, range(rounds, 3), real / naive, real / plain);
        System.out.printf("BENCH   CPU per event, hub JVM (Kafka broker included) + PostgreSQL, median: naive %.0f + %.0f us, plain %.0f + %.0f us, "
                        + "work alone %.0f + %.0f us, real route %.0f + %.0f us%n",
                median(rounds, 0, Measured::jvmMicros), median(rounds, 0, Measured::postgresMicros),
                median(rounds, 1, Measured::jvmMicros), median(rounds, 1, Measured::postgresMicros),
                median(rounds, 2, Measured::jvmMicros), median(rounds, 2, Measured::postgresMicros),
                median(rounds, 3, Measured::jvmMicros), median(rounds, 3, Measured::postgresMicros));
        System.out.printf("BENCH   updates of known accounts (credit terms changed): plain client upsert %,.0f events/s (%s), "
                        + "real route %,.0f events/s (%s; %.2f x plain client)%n",
                plainUpdate, range(rounds, 4), realUpdate, range(rounds, 5), realUpdate / plainUpdate);
        System.out.printf("BENCH   CPU per update, hub JVM + PostgreSQL, median: plain %.0f + %.0f us, real route %.0f + %.0f us%n",
                median(rounds, 4, Measured::jvmMicros), median(rounds, 4, Measured::postgresMicros),
                median(rounds, 5, Measured::jvmMicros), median(rounds, 5, Measured::postgresMicros));

        plainClient.close();
        long relayed = relay(jdbc);
        consumers(relayed, "bench-crm-changed-plain");
        // Steady load: each event carries its send time; latency = CRM commit time - send time.
        camel.getRouteController().resumeRoute("account-kafka-to-crm");
        publish(topic, "L", RATE * RATE_SECONDS, i -> Instant.now(), RATE);
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(200))
                .until(() -> count(jdbc, "select count(*) from xref where external_id like 'L-%'") == (long) RATE * RATE_SECONDS);
        List<Double> ms = jdbc.queryForList("""
                select extract(epoch from (a.created_at - x.source_changed_at)) * 1000 from xref x join account a on a.id = x.crm_id
                where x.external_id like 'L-%' order by 1""", Double.class);

        System.out.printf("BENCH   end-to-end latency at %d events/s for %d s: p50 %.0f ms, p99 %.0f ms, max %.0f ms%n%n",
                RATE, RATE_SECONDS, pct(ms, 0.50), pct(ms, 0.99), ms.get(ms.size() - 1));
        camel.getRouteController().suspendRoute("account-kafka-to-crm");
        poller(jdbc);
        erpLatency(jdbc);
    }

    /**
     * ERP change to CRM commit at a steady rate of new ERP customers, through the whole path at the
     * hub's settings (poll interval, the wait for a row's second to end, Kafka, the account route):
     * from the ERP insert's commit, stamped to the second as the ERP does, to the CRM transaction
     * that created the account.
     */
    private void erpLatency(JdbcTemplate crm) throws Exception {
        // the poller phase's rows first, so that the route's backlog does not count as latency
        camel.getRouteController().resumeRoute("account-kafka-to-crm");
        await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> count(crm, "select count(*) from xref where external_id like 'B%'") == POLLER_ROWS);
        camel.getRouteController().startRoute("account-erp-to-kafka");
        JdbcTemplate erp = new JdbcTemplate(ctx.getBean("erpDataSource", javax.sql.DataSource.class));
        int n = ERP_RATE * ERP_SECONDS;
        Map<String, Long> committed = new java.util.HashMap<>();
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long wait = start + (long) i * 1_000_000_000L / ERP_RATE - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            String key = String.format("E%09d", i);
            erp.update("INSERT INTO CUSTMST (CUSTNO, CNAME, CEMAL, CCTRY, CSTAT, CRTRM, LCHG, LUSR) VALUES (?, ?, ?, 'DE', 'A', 'N30', ?, 'BENCH')",
                    key, "Laufend Firma " + i + " AG", "info@laufend" + i + ".example",
                    java.sql.Timestamp.valueOf(java.time.LocalDateTime.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)));
            committed.put(key, System.currentTimeMillis());
        }
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(200))
                .until(() -> count(crm, "select count(*) from xref where external_id like 'E%'") == n);
        List<Double> ms = new java.util.ArrayList<>();
        crm.query("select x.external_id, a.created_at from xref x join account a on a.id = x.crm_id where x.external_id like 'E%'",
                rs -> {
                    ms.add((double) (rs.getTimestamp(2).getTime() - committed.get(rs.getString(1).strip())));
                });
        java.util.Collections.sort(ms);
        camel.getRouteController().stopRoute("account-erp-to-kafka");
        System.out.printf("BENCH   ERP change -> CRM at %d new ERP customers/s for %d s (poll interval %s, settle %s): p50 %.0f ms, p99 %.0f ms, max %.0f ms%n",
                ERP_RATE, ERP_SECONDS, env.getProperty("hub.erp.poll-interval"), env.getProperty("hub.erp.settle"),
                pct(ms, 0.50), pct(ms, 0.99), ms.get(ms.size() - 1));
    }

    /**
     * The ERP poller on a backlog of changed ERP accounts (a mass update: ten rows per one-second
     * timestamp), from the first page's watermark commit to the last's: read by keyset, published,
     * acknowledged, watermark committed. Against a plain reader in the same run: the same keyset
     * query in pages of the same size, each row as JSON to a KafkaProducer (acks=all, idempotent),
     * pipelined, flushed at the end; no watermark, no lease, no overlap window.
     */
    private void poller(JdbcTemplate crm) throws Exception {
        JdbcTemplate erp = new JdbcTemplate(ctx.getBean("erpDataSource", javax.sql.DataSource.class));
        // stamped in the past by the ERP's clock: the poller reads a second once it is over
        java.time.LocalDateTime base = erp.queryForObject("SELECT LOCALTIMESTAMP", java.sql.Timestamp.class).toLocalDateTime()
                .truncatedTo(java.time.temporal.ChronoUnit.SECONDS).minusSeconds(POLLER_ROWS / 10 + 60);
        List<Object[]> rows = new java.util.ArrayList<>();
        for (int i = 0; i < POLLER_ROWS; i++) {
            rows.add(new Object[]{String.format("B%09d", i), "Massen Firma " + i + " GmbH", "info@massen" + i + ".example",
                    java.sql.Timestamp.valueOf(base.plusSeconds(i / 10))});
        }
        erp.batchUpdate("INSERT INTO CUSTMST (CUSTNO, CNAME, CEMAL, CCTRY, CSTAT, CRTRM, LCHG, LUSR) VALUES (?, ?, ?, 'DE', 'A', 'N30', ?, 'BENCH')", rows);
        int page = Integer.parseInt(env.getProperty("hub.erp.page-size"));

        double plain;
        try (var producer = new KafkaProducer<String, String>(Map.of(
                "bootstrap.servers", env.getProperty("camel.component.kafka.brokers"), "acks", "all", "enable.idempotence", true),
                new StringSerializer(), new StringSerializer())) {
            JdbcTemplate paged = new JdbcTemplate(ctx.getBean("erpDataSource", javax.sql.DataSource.class));
            paged.setMaxRows(page);
            long t0 = System.nanoTime();
            Object[] after = {java.sql.Timestamp.valueOf(base.minusSeconds(1)), ""};
            int sent = 0;
            while (true) {
                List<Map<String, Object>> got = paged.queryForList("SELECT * FROM CUSTMST t WHERE t.LCHG > ? OR (t.LCHG = ? AND t.CUSTNO > ?)"
                        + " ORDER BY t.LCHG, t.CUSTNO", after[0], after[0], after[1]);
                if (got.isEmpty()) {
                    break;
                }
                for (Map<String, Object> row : got) {
                    producer.send(new ProducerRecord<>("bench.poller-plain", row.get("CUSTNO").toString(), json.writeValueAsString(row)));
                }
                Map<String, Object> last = got.get(got.size() - 1);
                after[0] = last.get("LCHG");
                after[1] = last.get("CUSTNO");
                sent += got.size();
            }
            producer.flush();
            plain = sent / ((System.nanoTime() - t0) / 1e9);
        }

        // From the first watermark commit seen to the last: the rows of every page after the first seen.
        camel.getRouteController().startRoute("account-erp-to-kafka");
        long[] first = {0, 0};
        await().atMost(Duration.ofMinutes(15)).pollInterval(Duration.ofMillis(20)).until(() -> {
            String key = crm.queryForList("select trim(last_key) from watermark where source = 'erp.account'", String.class)
                    .stream().findFirst().orElse("");
            if (!key.startsWith("B")) {
                return false;
            }
            if (first[0] == 0) {
                first[0] = System.nanoTime();
                first[1] = Long.parseLong(key.substring(1)) + 1;
            }
            return Long.parseLong(key.substring(1)) == POLLER_ROWS - 1;
        });
        double seconds = (System.nanoTime() - first[0]) / 1e9;
        camel.getRouteController().stopRoute("account-erp-to-kafka");
        double poller = (POLLER_ROWS - first[1]) / seconds;
        System.out.printf("BENCH   ERP poller (keyset read, publish, acknowledge, commit the watermark; pages of %d): %,d changed rows,"
                        + " %,.0f rows/s; plain reader (same query and pages, KafkaProducer pipelined): %,.0f rows/s (poller %.2f x plain)%n",
                page, POLLER_ROWS, poller, plain, poller / plain);
    }

    /**
     * The outbox relay on the events the rounds left (it was stopped meanwhile, and so is the ERP
     * writer that would consume them): from the first batch's transaction to the last's. Against a
     * plain KafkaProducer (acks=all, idempotent, one thread) sending as many records of the same
     * size, pipelined.
     */
    private long relay(JdbcTemplate jdbc) throws Exception {
        long pending = count(jdbc, "select count(*) from outbox_event where published_at is null");
        String payload = jdbc.queryForObject("select payload::text from outbox_event where published_at is null limit 1", String.class);
        double plain;
        try (var producer = new KafkaProducer<String, String>(Map.of(
                "bootstrap.servers", env.getProperty("camel.component.kafka.brokers"), "acks", "all", "enable.idempotence", true),
                new StringSerializer(), new StringSerializer())) {
            long t0 = System.nanoTime();
            for (long i = 0; i < pending; i++) {
                producer.send(new ProducerRecord<>("bench.relay-plain", java.util.UUID.randomUUID().toString(), payload));
            }
            producer.flush();
            plain = pending / ((System.nanoTime() - t0) / 1e9);
        }
        java.sql.Timestamp started = jdbc.queryForObject("select now()", java.sql.Timestamp.class);
        camel.getRouteController().startRoute("crm-outbox-to-kafka");
        await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> count(jdbc, "select count(*) from outbox_event where published_at is null") == 0);
        // published_at is the time of each batch's transaction: from the first batch's to the last's,
        // so the events of every batch but the last
        Map<String, Object> timed = jdbc.queryForMap("""
                select extract(epoch from max(published_at) - min(published_at)) as seconds,
                       count(*) filter (where published_at = (select max(published_at) from outbox_event)) as last
                from outbox_event where published_at >= ?""", started);
        double seconds = ((Number) timed.get("seconds")).doubleValue();
        double relay = (pending - ((Number) timed.get("last")).longValue()) / seconds;
        System.out.printf("BENCH   outbox relay (claim, publish, mark published; batches of %s, one after another while full): "
                        + "%,d events in %.1f s = %,.0f events/s; plain KafkaProducer, as many records of the same size: %,.0f events/s "
                        + "(relay %.2f x plain)%n",
                env.getProperty("hub.sync.outbox-batch"), pending, seconds, relay, plain, relay / plain);
        return pending;
    }

    /**
     * The two routes that read every CRM change, on the events the relay just published: the ERP
     * writer (which sends back none of them, all being ERP changes) and the order saga (which starts
     * no saga, none being an order placed). Each from its first commit seen to its last, one after
     * the other. Against a plain KafkaConsumer in the same run that reads the same records and decides
     * by their event type and origin, as both routes do.
     */
    private void consumers(long events, String plainGroup) throws Exception {
        String topic = env.getProperty("hub.topics.crm-changed");
        long jvm = ProcessCpu.jvmNanos();
        long t0 = 0;
        long actedOn = 0;
        long seen = 0;
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<String, String>(Map.of(
                "bootstrap.servers", env.getProperty("camel.component.kafka.brokers"), "group.id", plainGroup,
                "auto.offset.reset", "earliest", "max.poll.records", 500),
                new org.apache.kafka.common.serialization.StringDeserializer(), new org.apache.kafka.common.serialization.StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            while (seen < events) {
                var records = consumer.poll(Duration.ofMillis(200));
                if (t0 == 0 && !records.isEmpty()) {
                    t0 = System.nanoTime();
                }
                for (var rec : records) {
                    var event = json.readTree(rec.value());
                    if (!"ERP".equals(event.path("origin").asText()) || "ORDER_PLACED".equals(event.path("eventType").asText())) {
                        actedOn++;
                    }
                    seen++;
                }
            }
        }
        double plain = events / ((System.nanoTime() - t0) / 1e9);
        double plainMicros = (ProcessCpu.jvmNanos() - jvm) / 1e3 / events;
        double[] writer = routeDrains("crm-to-erp", topic, env.getProperty("camel.component.kafka.group-id"), events, false);
        double[] saga = routeDrains("order-kafka-to-saga", topic, env.getProperty("hub.saga.order-consumer-group"), events, true);
        System.out.printf("BENCH   CRM change consumers on the %,d relayed changes (%,d of them not from the ERP or an order placed): ERP writer %,.0f events/s"
                        + " (JVM %.0f us/event), order saga %,.0f events/s (JVM %.0f us/event); plain KafkaConsumer reading"
                        + " type and origin %,.0f events/s (JVM %.0f us/event)%n",
                events, actedOn, writer[0], writer[1], saga[0], saga[1], plain, plainMicros);
    }

    /**
     * A Kafka route's events/s from its first commit seen to the one that covers {@code events}
     * more records of the topic, and the JVM's CPU per event meanwhile; resumed or started.
     */
    private double[] routeDrains(String route, String topic, String group, long events, boolean suspended) throws Exception {
        try (var admin = org.apache.kafka.clients.admin.Admin.create(Map.<String, Object>of("bootstrap.servers",
                env.getProperty("camel.component.kafka.brokers")))) {
            java.util.concurrent.Callable<Long> committed = () -> admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get()
                    .entrySet().stream().filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
                    .mapToLong(e -> e.getValue().offset()).sum();
            long before = committed.call();
            long jvm = ProcessCpu.jvmNanos();
            long[] first = {0, 0};
            if (suspended) {
                camel.getRouteController().resumeRoute(route);
            } else {
                camel.getRouteController().startRoute(route);
            }
            await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
                long done = committed.call() - before;
                if (first[0] == 0 && done > 0) {
                    first[0] = System.nanoTime();
                    first[1] = done;
                }
                return done >= events;
            });
            double seconds = (System.nanoTime() - first[0]) / 1e9;
            return new double[]{(events - first[1]) / seconds, (ProcessCpu.jvmNanos() - jvm) / 1e3 / events};
        }
    }

    /** What the route's bean does per batch, called directly: mapping, validation, the CRM transaction. */
    private double writerAlone(String prefix, int n, Instant base) throws Exception {
        io.crmhub.connectors.sync.InboundChanges inbound = ctx.getBean("accountInbound", io.crmhub.connectors.sync.InboundChanges.class);
        List<String> all = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            all.add(json.writeValueAsString(record(prefix, i, base.plusMillis(i))));
        }
        long t0 = System.nanoTime();
        for (int from = 0; from < all.size(); from += 500) {
            inbound.applyJson(all.subList(from, Math.min(all.size(), from + 500)));
        }
        return n / ((System.nanoTime() - t0) / 1e9);
    }

    /**
     * The reference: what a hand-written batched Kafka -> PostgreSQL upsert does on this machine.
     * Its consumer joins the group once (in the warm-up round) and keeps its partitions, paused
     * between rounds, as the routes' consumers do.
     */
    private final class PlainClient implements AutoCloseable {

        static final String TOPIC = "bench.plain";

        private final JdbcTemplate jdbc;
        private final org.apache.kafka.clients.consumer.KafkaConsumer<String, String> consumer;

        PlainClient(JdbcTemplate jdbc) {
            this.jdbc = jdbc;
            this.consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(Map.of(
                    "bootstrap.servers", env.getProperty("camel.component.kafka.brokers"), "group.id", "bench-plain",
                    "auto.offset.reset", "earliest", "max.poll.records", 500, "enable.auto.commit", false,
                    "max.poll.interval.ms", 900_000),
                    new org.apache.kafka.common.serialization.StringDeserializer(), new org.apache.kafka.common.serialization.StringDeserializer());
            consumer.subscribe(List.of(TOPIC));
        }

        double drain(int n) {
            long t0 = System.nanoTime();
            consumer.resume(consumer.assignment());
            int done = 0;
            while (done < n) {
                var records = consumer.poll(Duration.ofMillis(200));
                List<Object[]> rows = new java.util.ArrayList<>();
                for (var rec : records) {
                    SourceRecord r = read(rec.value());
                    rows.add(new Object[]{r.externalId(), r.columns().get("CNAME"), r.columns().get("CCTRY"), rec.value()});
                }
                if (!rows.isEmpty()) {
                    jdbc.batchUpdate("""
                            insert into bench_plain (id, name, country, payload) values (?, ?, ?, ?)
                            on conflict (id) do update set name = excluded.name, country = excluded.country, payload = excluded.payload""", rows);
                    consumer.commitSync();
                    done += rows.size();
                }
            }
            double rate = n / ((System.nanoTime() - t0) / 1e9);
            consumer.pause(consumer.assignment());
            return rate;
        }

        @Override
        public void close() {
            consumer.close();
        }
    }

    private SourceRecord read(String value) {
        try {
            return json.readValue(value, SourceRecord.class);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Resumes the route and times it until its own counter has moved by n, suspends it again; then
     * checks the rows in the store. Progress is watched in memory: a count(*) every 100 ms cost PostgreSQL a seq scan
     * each time, a tenth of a core taken from the contender measured.
     */
    private double drain(String route, int n, java.util.function.LongSupplier done, long before,
                         java.util.concurrent.Callable<Long> stored) throws Exception {
        long t0 = System.nanoTime();
        camel.getRouteController().resumeRoute(route);
        await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(20)).until(() -> done.getAsLong() - before >= n);
        double seconds = (System.nanoTime() - t0) / 1e9;
        camel.getRouteController().suspendRoute(route);
        long rows = stored.call();
        if (rows != n) {
            throw new AssertionError(route + " counted " + n + " events but the store holds " + rows + " rows of them");
        }
        return n / seconds;
    }

    private void publish(String topic, String prefix, int n, java.util.function.IntFunction<Instant> changedAt, int perSecond)
            throws Exception {
        publish(topic, prefix, n, changedAt, perSecond, 0);
    }

    /** Publishes n records; a revision above 0 is the same records with new credit terms, in shuffled order. */
    private void publish(String topic, String prefix, int n, java.util.function.IntFunction<Instant> changedAt, int perSecond,
                         int revision) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                "bootstrap.servers", env.getProperty("camel.component.kafka.brokers"), "acks", "all", "linger.ms", 5),
                new StringSerializer(), new StringSerializer())) {
            // Changes reach known records in no relation to the order they were created in: the
            // revisions go out shuffled (the same order for every contender).
            int[] order = java.util.stream.IntStream.range(0, n).toArray();
            if (revision > 0) {
                java.util.Random random = new java.util.Random(n);
                for (int k = n - 1; k > 0; k--) {
                    int j = random.nextInt(k + 1);
                    int swap = order[k];
                    order[k] = order[j];
                    order[j] = swap;
                }
            }
            long start = System.nanoTime();
            for (int k = 0; k < n; k++) {
                int i = order[k];
                if (perSecond > 0) {
                    long due = start + (long) k * 1_000_000_000L / perSecond;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                }
                SourceRecord r = record(prefix, i, changedAt.apply(i), revision);
                producer.send(new ProducerRecord<>(topic, r.externalId(), json.writeValueAsString(r)));
            }
            producer.flush();
        }
    }

    private static SourceRecord record(String prefix, int i, Instant changedAt) {
        return record(prefix, i, changedAt, 0);
    }

    private static SourceRecord record(String prefix, int i, Instant changedAt, int revision) {
        String id = prefix + "-" + i;
        Map<String, String> cols = new LinkedHashMap<>();
        cols.put("CUSTNO", id);
        // Each phase its own companies (the same name in two phases would be linked as a duplicate),
        // and each company its own number: a number shared by the companies of all earlier phases
        // made every record load one more candidate per phase, so that later rounds measured a
        // different load than earlier ones.
        long number = PHASES.computeIfAbsent(prefix, k -> PHASES.size() + 1) * 1_000_000L + i;
        cols.put("CNAME", "Bench " + prefix + " Firma " + number + " GmbH");
        cols.put("CCTRY", "DE");
        cols.put("CSTAT", "A");
        cols.put("CEMAL", "info@" + id.toLowerCase(java.util.Locale.ROOT) + ".example");
        if (revision > 0) {
            cols.put("CRTRM", "N30");
        }
        return new SourceRecord("erp", "account", id, changedAt, cols);
    }

    /** A contender's events/s in one round, and the CPU it cost per event in this JVM and in PostgreSQL. */
    private record Measured(double rate, double jvmMicros, double postgresMicros) {
    }

    /**
     * Runs a contender through n events and samples the CPU time used meanwhile by this JVM (which
     * also runs the Kafka broker) and by the embedded PostgreSQL's processes (the machine's own
     * PostgreSQL, under /usr/lib, is left out).
     */
    private static Measured measured(int n, java.util.concurrent.Callable<Double> contender) throws Exception {
        long jvm = ProcessCpu.jvmNanos();
        long pg = ProcessCpu.postgresNanos();
        double rate = contender.call();
        return new Measured(rate, (ProcessCpu.jvmNanos() - jvm) / 1e3 / n, (ProcessCpu.postgresNanos() - pg) / 1e3 / n);
    }

    /** Rows in the tables a new account writes. */
    private static long rowsWritten(JdbcTemplate jdbc) {
        return count(jdbc, """
                select (select count(*) from account) + (select count(*) from xref) + (select count(*) from processed_message)
                     + (select count(*) from outbox_event) + (select count(*) from match_key)""");
    }

    private static long count(JdbcTemplate jdbc, String sql) {
        Long n = jdbc.queryForObject(sql, Long.class);
        return n == null ? 0 : n;
    }

    private static double median(List<Measured[]> rounds, int contender, java.util.function.ToDoubleFunction<Measured> figure) {
        double[] v = rounds.stream().mapToDouble(r -> figure.applyAsDouble(r[contender])).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static String range(List<Measured[]> rounds, int contender) {
        return String.format("%,.0f-%,.0f", rounds.stream().mapToDouble(r -> r[contender].rate()).min().orElse(0),
                rounds.stream().mapToDouble(r -> r[contender].rate()).max().orElse(0));
    }

    private static double pct(List<Double> sorted, double p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
    }

}
