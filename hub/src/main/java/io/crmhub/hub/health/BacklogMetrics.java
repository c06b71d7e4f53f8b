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

import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
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
 *   when none does (nobody polls that source).</li>
 * </ul>
 * Read in the background every {@code hub.metrics.backlog-refresh}: a scrape takes the last
 * figures and never waits on Kafka or the store. A figure that could not be read is NaN, never the
 * previous one. The figures are the store's and the cluster's, the same on every hub: aggregate
 * them with max, not sum. The same figures are in JMX ({@link BacklogMXBean}) for Hawtio.
 */
@Component
public class BacklogMetrics implements MeterBinder, InitializingBean, DisposableBean {

    private static final Logger LOG = LoggerFactory.getLogger(BacklogMetrics.class);
    static final String MBEAN = "io.crmhub:type=Backlog";
    private static final Map<Kind, String[]> PER_ENTITY = new EnumMap<>(Map.of(
            Kind.QUARANTINE, new String[]{"crmhub.quarantine.open", "Records refused at the door and not yet replayed or discarded"},
            Kind.WAITING, new String[]{"crmhub.sync.waiting", "Records waiting for their parent to reach the CRM"},
            Kind.CONFLICT, new String[]{"crmhub.sync.conflicts.open", "Fields both sides changed within the clock-skew tolerance, to be decided"},
            Kind.DUPLICATE, new String[]{"crmhub.duplicates.open", "Possible duplicates to be decided"},
            Kind.POLLER, new String[]{"crmhub.sync.poller.active", "1 while a hub holds the source's poller lease, 0 when none polls it"}));

    private final StoreBacklog store;
    private final DeadLetters deadLetters;
    private final KafkaBacklog kafka;
    /** Topics per consumer group. */
    private final Map<String, List<String>> consumed = new LinkedHashMap<>();
    private final List<String> sources;
    private final BacklogMetricsProperties properties;
    private final ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "backlog-metrics");
        t.setDaemon(true);
        return t;
    });
    private final List<MeterRegistry> registries = new CopyOnWriteArrayList<>();
    private final Set<String> registered = ConcurrentHashMap.newKeySet();

    /** The last figures read; null, or NaN, while they could not be read. */
    private volatile StoreBacklog.Snapshot stored;
    private volatile Map<String, Map<String, Long>> lags = Map.of();
    private volatile double unreplayed = Double.NaN;
    private volatile String lastProblem;
    private volatile Instant readAt;
    private final BacklogMXBean figures = new Jmx();
    private final ObjectName mbean;

    public BacklogMetrics(StoreBacklog store, DeadLetters deadLetters, List<ErpChangeReader> readers, HubProperties props,
                          @Value("${camel.component.kafka.brokers}") String brokers,
                          @Value("${camel.component.kafka.group-id}") String group, BacklogMetricsProperties properties) {
        this.store = store;
        this.deadLetters = deadLetters;
        this.properties = properties;
        this.kafka = new KafkaBacklog(brokers, properties.kafkaTimeout());
        List<String> hubTopics = new ArrayList<>();
        SyncConfiguration.ERP_ENTITIES.forEach(e -> hubTopics.add(props.topics().erpChanged(e)));
        hubTopics.add(props.topics().crmChanged());
        consumed.put(group, List.copyOf(hubTopics));
        consumed.put(props.saga().orderConsumerGroup(), List.of(props.topics().crmChanged()));
        this.sources = readers.stream().map(ErpChangeReader::watermarkName).toList();
        this.mbean = register();
    }

    /** One hub per JVM in production; a second one (tests run several) is told apart by an instance key. */
    private ObjectName register() {
        try {
            ObjectName name = new ObjectName(MBEAN);
            try {
                ManagementFactory.getPlatformMBeanServer().registerMBean(figures, name);
            } catch (InstanceAlreadyExistsException e) {
                name = new ObjectName(MBEAN + ",instance=" + Integer.toHexString(System.identityHashCode(this)));
                ManagementFactory.getPlatformMBeanServer().registerMBean(figures, name);
            }
            return name;
        } catch (JMException e) {
            throw new IllegalStateException("cannot register " + MBEAN, e);
        }
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        registries.add(registry);
        Gauge.builder("crmhub.outbox.pending", () -> stored == null ? Double.NaN : stored.outboxPending())
                .description("CRM change events in the outbox not yet published to Kafka").register(registry);
        Gauge.builder("crmhub.outbox.oldest.pending.seconds", () -> stored == null ? Double.NaN : stored.outboxOldestSeconds())
                .description("Age of the oldest outbox event not yet published (0: none)").register(registry);
        Gauge.builder("crmhub.dead.letters.unreplayed", () -> unreplayed)
                .description("Dead letters in the dead-letter topic that nobody has replayed").register(registry);
        consumed.forEach((group, topics) -> topics.forEach(topic ->
                Gauge.builder("crmhub.kafka.consumer.lag", () -> lag(group, topic)).tag("group", group).tag("topic", topic)
                        .description("Records published to the topic and not yet committed by the consumer group")
                        .register(registry)));
        for (Kind kind : PER_ENTITY.keySet()) {
            List<String> keys = kind == Kind.POLLER ? sources
                    : SyncConfiguration.ERP_ENTITIES.stream().map(e -> e.toUpperCase(Locale.ROOT)).toList();
            keys.forEach(key -> perEntity(registry, kind, key));
        }
    }

    @Override
    public void afterPropertiesSet() {
        refresher.scheduleWithFixedDelay(this::refresh, 0, properties.backlogRefresh().toMillis(), TimeUnit.MILLISECONDS);
    }

    private void perEntity(MeterRegistry registry, Kind kind, String key) {
        String[] meter = PER_ENTITY.get(kind);
        Gauge.builder(meter[0], () -> stored == null ? Double.NaN : stored.count(kind, key))
                .tag(kind == Kind.POLLER ? "source" : "entity", key).description(meter[1]).register(registry);
        registered.add(kind + "/" + key);
    }

    /** The last figures read, as JMX shows them. */
    public BacklogMXBean figures() {
        return figures;
    }

    private double lag(String group, String topic) {
        Long n = lags.getOrDefault(group, Map.of()).get(topic);
        return n == null ? Double.NaN : n;
    }

    /** Reads every figure once; what fails reads NaN until it can be read again. */
    void refresh() {
        List<String> problems = new ArrayList<>();
        try {
            StoreBacklog.Snapshot s = store.read();
            // an entity or source not known at start (a migration's, say) gets its gauges when it first shows
            s.counts().forEach((kind, byKey) -> byKey.keySet().stream()
                    .filter(key -> !registered.contains(kind + "/" + key))
                    .forEach(key -> registries.forEach(r -> perEntity(r, kind, key))));
            stored = s;
        } catch (RuntimeException e) {
            stored = null;
            problems.add("CRM store: " + e.getMessage());
        }
        Map<String, Map<String, Long>> read = new LinkedHashMap<>();
        consumed.forEach((group, topics) -> {
            try {
                read.put(group, kafka.lag(group, topics));
            } catch (RuntimeException e) {
                problems.add("lag of " + group + ": " + e.getMessage());
            }
        });
        lags = read;
        try {
            unreplayed = deadLetters.unreplayed(kafka);
        } catch (RuntimeException e) {
            unreplayed = Double.NaN;
            problems.add("dead letters: " + e.getMessage());
        }
        String problem = problems.isEmpty() ? null : String.join("; ", problems);
        if (problem != null && !problem.equals(lastProblem)) {
            LOG.warn("Backlog figures not read (NaN until they are): {}", problem);
        } else if (problem == null && lastProblem != null) {
            LOG.info("Backlog figures read again");
        }
        lastProblem = problem;
        readAt = Instant.now();
    }

    private Map<String, Long> counts(Kind kind) {
        StoreBacklog.Snapshot s = stored;
        return s == null ? Map.of() : new TreeMap<>(s.counts().getOrDefault(kind, Map.of()));
    }

    /**
     * The figures in JMX. Apart from the bean itself: Spring's exporter would otherwise publish the
     * bean under its own name too, once per application context.
     */
    private final class Jmx implements BacklogMXBean {

        @Override
        public String getReadAt() {
            return readAt == null ? null : readAt.toString();
        }

        @Override
        public String getProblem() {
            return lastProblem;
        }

        @Override
        public Map<String, Long> getConsumerLag() {
            Map<String, Long> all = new TreeMap<>();
            consumed.forEach((group, topics) -> topics.forEach(topic -> {
                double n = lag(group, topic);
                all.put(group + " " + topic, Double.isNaN(n) ? -1 : (long) n);
            }));
            return all;
        }

        @Override
        public long getOutboxPending() {
            StoreBacklog.Snapshot s = stored;
            return s == null ? -1 : s.outboxPending();
        }

        @Override
        public double getOutboxOldestPendingSeconds() {
            StoreBacklog.Snapshot s = stored;
            return s == null ? -1 : s.outboxOldestSeconds();
        }

        @Override
        public long getDeadLettersUnreplayed() {
            double n = unreplayed;
            return Double.isNaN(n) ? -1 : (long) n;
        }

        @Override
        public Map<String, Long> getQuarantineOpen() {
            return counts(Kind.QUARANTINE);
        }

        @Override
        public Map<String, Long> getWaiting() {
            return counts(Kind.WAITING);
        }

        @Override
        public Map<String, Long> getConflictsOpen() {
            return counts(Kind.CONFLICT);
        }

        @Override
        public Map<String, Long> getDuplicatesOpen() {
            return counts(Kind.DUPLICATE);
        }

        @Override
        public Map<String, Long> getPollersActive() {
            Map<String, Long> all = new TreeMap<>();
            sources.forEach(source -> all.put(source, 0L));
            all.putAll(counts(Kind.POLLER));
            return all;
        }
    }

    @Override
    public void destroy() {
        refresher.shutdownNow();
        try {
            refresher.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        kafka.close();
        try {
            ManagementFactory.getPlatformMBeanServer().unregisterMBean(mbean);
        } catch (JMException e) {
            LOG.debug("{} was not registered", mbean, e);
        }
    }
}
