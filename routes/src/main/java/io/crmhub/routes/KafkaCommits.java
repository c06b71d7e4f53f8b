package io.crmhub.routes;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Commits a Kafka batch once it is applied ({@link KafkaBatch#CONSUMER}): for each partition, the
 * offset after its last record, synchronously.
 * <p>
 * A batch that took its consumer longer than {@code max.poll.interval.ms} (a store or an ERP
 * outage waited out) has cost the consumer its place in the group: its partitions went to another
 * consumer, which reads them from the last commit. Kafka then refuses the commit; so it does when
 * the group is rebalancing (a consumer joined or left meanwhile). The batch is applied all the
 * same, so this is no failure of the batch: whoever owns the partitions next reads it again and
 * the idempotent receivers pass by what it applied. The commit is given up, logged and counted
 * ({@code hub_kafka_batches_uncommitted_total{route}}); the consumer rejoins its group at its next
 * poll. Failing the batch instead would apply it again, record by record, only to be refused again.
 */
@Component("kafkaCommits")
public class KafkaCommits {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaCommits.class);

    private final MeterRegistry registry;
    private final Map<String, Counter> uncommitted = new ConcurrentHashMap<>();

    public KafkaCommits(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Commits the batch kept in exchange property {@link KafkaBatch#KEPT}. */
    public void commit(Exchange exchange) {
        Map<String, KafkaManualCommit> last = new LinkedHashMap<>();
        for (Message m : KafkaBatch.kept(exchange)) {
            last.put(m.getHeader(KafkaConstants.TOPIC) + "/" + m.getHeader(KafkaConstants.PARTITION),
                    m.getHeader(KafkaConstants.MANUAL_COMMIT, KafkaManualCommit.class));
        }
        try {
            last.values().forEach(KafkaManualCommit::commit);
        } catch (CommitFailedException | RebalanceInProgressException e) {
            String route = exchange.getFromRouteId();
            LOG.warn("Route {}: a batch of {} records is applied, but Kafka refused its commit: the group reassigned its"
                    + " partitions ({}) while the consumer worked on it (a batch longer than max.poll.interval.ms, or a"
                    + " rebalance). Their owner reads the batch again; the idempotent receivers pass by what is applied."
                    + " Kafka: {}", route, KafkaBatch.kept(exchange).size(), last.keySet(), e.getMessage());
            uncommitted.computeIfAbsent(route, r -> Counter.builder("hub.kafka.batches.uncommitted").tag("route", r)
                    .description("Batches applied whose commit Kafka refused, the group having reassigned their partitions"
                            + " meanwhile (a batch longer than max.poll.interval.ms, or a rebalance): read again")
                    .register(registry)).increment();
        }
    }

    /** Batches of {@code route} applied and left uncommitted so far. */
    public double uncommitted(String route) {
        Counter c = uncommitted.get(route);
        return c == null ? 0 : c.count();
    }
}
