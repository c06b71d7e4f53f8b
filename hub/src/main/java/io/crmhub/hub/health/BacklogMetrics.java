package io.crmhub.hub.health;

import io.crmhub.connectors.config.HubProperties;
import io.crmhub.connectors.erp.ErpChangeReader;
import io.crmhub.connectors.kafka.DeadLetters;
import io.crmhub.connectors.kafka.KafkaBacklog;
import io.crmhub.connectors.store.StoreBacklog;
import io.crmhub.connectors.store.StoreBacklog.Kind;
import io.crmhub.connectors.sync.SyncConfiguration;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.StandardMBean;
import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The backlogs an operator watches to see that nothing is stuck or piling up, as gauges:
 * <ul>
 *   <li>{@code crmhub.kafka.consumer.lag{group,topic}}: records published and not yet committed by
 *   the group — ERP changes on their way into the CRM, CRM changes on their way to the ERP and to
 *   the order saga;</li>
 *   <li>{@code crmhub.outbox.pending} and {@code crmhub.outbox.oldest.pending.seconds}: CRM changes
 *   not yet on Kafka;</li>
 *   <li>{@code crmhub.dead.letters.unreplayed}: dead letters nobody has replayed;</li>
 *   <li>{@code crmhub.quarantine.open{entity}}, {@code crmhub.sync.conflicts.open{entity}},
 *   {@code crmhub.duplicates.open{entity}}: work for a person; {@code crmhub.sync.waiting{entity}}:
 *   records waiting for their parent;</li>
 *   <li>{@code crmhub.sync.poller.active{source}}: 1 while a hub holds the source's poller lease, 0
 *   when none does (nobody polls that source);</li>
 *   <li>{@code crmhub.erp.changes.pending{source}}: ERP rows changed after the source's committed
 *   watermark, not yet published — ERP changes on their way to Kafka.</li>
 * </ul>
 * Read in the background every {@code hub.metrics.backlog-refresh}: a scrape takes the last
 * figures and never waits on Kafka or the store. A figure that could not be read is NaN, never the
 * previous one. The figures are the store's and the cluster's, the same on every hub: aggregate
 * them with max, not sum. The same figures are in JMX ({@code io.crmhub:type=Backlog}) for Hawtio.
 */
@Component
public class BacklogMetrics implements MeterBinder, InitializingBean, DisposableBean {

    private static final Logger LOG = LoggerFactory.getLogger(BacklogMetrics.class);
    private static final ObjectName MBEAN = objectName("io.crmhub:type=Backlog");

    private record Meter(String name, String tag, String description) {
    }

    private static final Map<Kind, Meter> PER_KEY = new EnumMap<>(Map.of(
            Kind.QUARANTINE, new Meter("crmhub.quarantine.open", "entity", "Records refused at the door and not yet replayed or discarded"),
            Kind.WAITING, new Meter("crmhub.sync.waiting", "entity", "Records waiting for their parent to reach the CRM"),
            Kind.CONFLICT, new Meter("crmhub.sync.conflicts.open", "entity", "Fields both sides changed within the clock-skew tolerance, to be decided"),
            Kind.DUPLICATE, new Meter("crmhub.duplicates.open", "entity", "Possible duplicates to be decided"),
            Kind.POLLER, new Meter("crmhub.sync.poller.active", "source", "1 while a hub holds the source's poller lease, 0 when none polls it")));

    /**
     * One reading, replaced whole: a scrape never mixes two.
     *
     * @param store      null when the store could not be read
     * @param lags       by group, then topic; a group missing when Kafka could not tell its lag
     * @param unreplayed NaN when it could not be read
     * @param erpPending by source; a source missing when the ERP could not tell
     * @param problem    null, or what could not be read
     */
    private record Figures(StoreBacklog.Snapshot store, Map<String, Map<String, Long>> lags, double unreplayed,
                           Map<String, Long> erpPending, String problem, Instant readAt) {

        static final Figures NONE = new Figures(null, Map.of(), Double.NaN, Map.of(), null, null);

        double erpPending(String source) {
            Long n = erpPending.get(source);
            return n == null ? Double.NaN : n;
        }

        double lag(String group, String topic) {
            Long n = lags.getOrDefault(group, Map.of()).get(topic);
            return n == null ? Double.NaN : n;
        }

        double store(java.util.function.ToDoubleFunction<StoreBacklog.Snapshot> value) {
            return store == null ? Double.NaN : value.applyAsDouble(store);
        }

        Map<String, Long> counts(Kind kind) {
            return store == null ? Map.of() : new TreeMap<>(store.counts().getOrDefault(kind, Map.of()));
        }
    }

    private final StoreBacklog store;
    private final DeadLetters deadLetters;
    private final KafkaBacklog kafka;
    /** Topics per consumer group. */
    private final Map<String, List<String>> consumed = new LinkedHashMap<>();
    private final List<String> sources;
    private final List<ErpChangeReader> readers;
    private final BacklogMetricsProperties properties;
    private final ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "backlog-metrics");
        t.setDaemon(true);
        return t;
    });
    private final List<MeterRegistry> registries = new CopyOnWriteArrayList<>();
    private volatile Figures figures = Figures.NONE;

    public BacklogMetrics(StoreBacklog store, DeadLetters deadLetters, KafkaBacklog kafka, List<ErpChangeReader> readers,
                          HubProperties props, @Value("${camel.component.kafka.group-id}") String group,
                          BacklogMetricsProperties properties) throws JMException {
        this.store = store;
        this.deadLetters = deadLetters;
        this.kafka = kafka;
        this.properties = properties;
        List<String> hubTopics = new ArrayList<>();
        SyncConfiguration.ERP_ENTITIES.forEach(e -> hubTopics.add(props.topics().erpChanged(e)));
        hubTopics.add(props.topics().crmChanged());
        consumed.put(group, List.copyOf(hubTopics));
        consumed.put(props.saga().orderConsumerGroup(), List.of(props.topics().crmChanged()));
        this.readers = List.copyOf(readers);
        this.sources = readers.stream().map(ErpChangeReader::watermarkName).toList();
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        if (server.isRegistered(MBEAN)) {
            server.unregisterMBean(MBEAN); // left by an earlier context in this JVM
        }
        // Apart from the bean itself: Spring's exporter would otherwise publish the bean under its own name too.
        server.registerMBean(new StandardMBean(new Jmx(), BacklogMXBean.class, true), MBEAN);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        registries.add(registry);
        Gauge.builder("crmhub.outbox.pending", () -> figures.store(StoreBacklog.Snapshot::outboxPending))
                .description("CRM change events in the outbox not yet published to Kafka").register(registry);
        Gauge.builder("crmhub.outbox.oldest.pending.seconds", () -> figures.store(StoreBacklog.Snapshot::outboxOldestSeconds))
                .description("Age of the oldest outbox event not yet published (0: none)").register(registry);
        Gauge.builder("crmhub.dead.letters.unreplayed", () -> figures.unreplayed())
                .description("Dead letters in the dead-letter topic that nobody has replayed").register(registry);
        consumed.forEach((group, topics) -> topics.forEach(topic ->
                Gauge.builder("crmhub.kafka.consumer.lag", () -> figures.lag(group, topic)).tag("group", group).tag("topic", topic)
                        .description("Records published to the topic and not yet committed by the consumer group")
                        .register(registry)));
        sources.forEach(source -> Gauge.builder("crmhub.erp.changes.pending", () -> figures.erpPending(source)).tag("source", source)
                .description("ERP rows changed after the source's committed watermark, not yet published").register(registry));
        for (Kind kind : PER_KEY.keySet()) {
            List<String> keys = kind == Kind.POLLER ? sources
                    : SyncConfiguration.ERP_ENTITIES.stream().map(e -> e.toUpperCase(Locale.ROOT)).toList();
            keys.forEach(key -> perKey(registry, kind, key));
        }
    }

    /** A gauge of one entity's (or source's) count; registering one that exists returns it. */
    private void perKey(MeterRegistry registry, Kind kind, String key) {
        Meter meter = PER_KEY.get(kind);
        Gauge.builder(meter.name(), () -> figures.store(s -> s.count(kind, key)))
                .tag(meter.tag(), key).description(meter.description()).register(registry);
    }

    @Override
    public void afterPropertiesSet() {
        refresher.scheduleWithFixedDelay(this::refresh, 0, properties.backlogRefresh().toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The last figures read, as JMX shows them. */
    public BacklogMXBean figures() {
        return new Jmx();
    }

    /** Reads every figure once; what fails reads NaN until it can be read again. */
    void refresh() {
        List<String> problems = new ArrayList<>();
        StoreBacklog.Snapshot s = null;
        try {
            s = store.read();
            // an entity or source not known at start (a migration's, say) gets its gauges when it first shows
            s.counts().forEach((kind, byKey) -> byKey.keySet().forEach(key -> registries.forEach(r -> perKey(r, kind, key))));
        } catch (RuntimeException e) {
            problems.add("CRM store: " + e.getMessage());
        }
        Map<String, Map<String, Long>> lags = new LinkedHashMap<>();
        consumed.forEach((group, topics) -> {
            try {
                lags.put(group, kafka.lag(group, topics));
            } catch (RuntimeException e) {
                problems.add("lag of " + group + ": " + e.getMessage());
            }
        });
        double unreplayed = Double.NaN;
        try {
            unreplayed = deadLetters.unreplayed(kafka);
        } catch (RuntimeException e) {
            problems.add("dead letters: " + e.getMessage());
        }
        Map<String, Long> erpPending = new LinkedHashMap<>();
        for (ErpChangeReader reader : readers) {
            try {
                erpPending.put(reader.watermarkName(), reader.pending());
            } catch (RuntimeException e) {
                problems.add("ERP changes of " + reader.watermarkName() + ": " + e.getMessage());
            }
        }
        String problem = problems.isEmpty() ? null : String.join("; ", problems);
        String before = figures.problem();
        if (problem != null && !problem.equals(before)) {
            LOG.warn("Backlog figures not read (NaN until they are): {}", problem);
        } else if (problem == null && before != null) {
            LOG.info("Backlog figures read again");
        }
        figures = new Figures(s, lags, unreplayed, erpPending, problem, Instant.now());
    }

    /** The figures in JMX: -1 (or a missing entry) where they could not be read. */
    private final class Jmx implements BacklogMXBean {

        @Override
        public String getReadAt() {
            Instant at = figures.readAt();
            return at == null ? null : at.toString();
        }

        @Override
        public String getProblem() {
            return figures.problem();
        }

        @Override
        public Map<String, Long> getConsumerLag() {
            Figures f = figures;
            Map<String, Long> all = new TreeMap<>();
            consumed.forEach((group, topics) -> topics.forEach(topic -> all.put(group + " " + topic, known(f.lag(group, topic)))));
            return all;
        }

        @Override
        public long getOutboxPending() {
            return known(figures.store(StoreBacklog.Snapshot::outboxPending));
        }

        @Override
        public double getOutboxOldestPendingSeconds() {
            double seconds = figures.store(StoreBacklog.Snapshot::outboxOldestSeconds);
            return Double.isNaN(seconds) ? -1 : seconds;
        }

        @Override
        public long getDeadLettersUnreplayed() {
            return known(figures.unreplayed());
        }

        @Override
        public Map<String, Long> getQuarantineOpen() {
            return figures.counts(Kind.QUARANTINE);
        }

        @Override
        public Map<String, Long> getWaiting() {
            return figures.counts(Kind.WAITING);
        }

        @Override
        public Map<String, Long> getConflictsOpen() {
            return figures.counts(Kind.CONFLICT);
        }

        @Override
        public Map<String, Long> getDuplicatesOpen() {
            return figures.counts(Kind.DUPLICATE);
        }

        @Override
        public Map<String, Long> getPollersActive() {
            Map<String, Long> all = new TreeMap<>();
            sources.forEach(source -> all.put(source, 0L));
            all.putAll(figures.counts(Kind.POLLER));
            return all;
        }

        @Override
        public Map<String, Long> getErpChangesPending() {
            Figures f = figures;
            Map<String, Long> all = new TreeMap<>();
            sources.forEach(source -> all.put(source, known(f.erpPending(source))));
            return all;
        }

        private static long known(double n) {
            return Double.isNaN(n) ? -1 : (long) n;
        }
    }

    private static ObjectName objectName(String name) {
        try {
            return new ObjectName(name);
        } catch (JMException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void destroy() throws JMException {
        refresher.shutdownNow();
        try {
            refresher.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        if (server.isRegistered(MBEAN)) {
            server.unregisterMBean(MBEAN);
        }
    }
}
