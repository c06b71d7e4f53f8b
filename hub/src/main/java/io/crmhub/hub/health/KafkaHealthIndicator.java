package io.crmhub.hub.health;

import io.crmhub.connectors.kafka.KafkaBacklog;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;
import org.springframework.stereotype.Component;

/** Kafka is up when the cluster answers a describe within {@code hub.metrics.kafka-timeout}. */
@Component("kafkaHealthIndicator")
public class KafkaHealthIndicator extends AbstractHealthIndicator {

    private final KafkaBacklog kafka;

    public KafkaHealthIndicator(KafkaBacklog kafka) {
        super("Kafka health check failed");
        this.kafka = kafka;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        KafkaBacklog.Cluster cluster = kafka.cluster();
        builder.up().withDetail("clusterId", cluster.id()).withDetail("brokers", cluster.brokers());
    }
}
