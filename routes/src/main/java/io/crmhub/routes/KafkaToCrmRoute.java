package io.crmhub.routes;

import io.crmhub.connectors.config.HubProperties;
import io.crmhub.connectors.sync.SyncConfiguration;
import org.apache.camel.LoggingLevel;
import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

/**
 * Applies ERP changes from Kafka to the CRM store, per synchronized entity:
 * <ul>
 *   <li>{@code <entity>-kafka-to-crm} takes a consumer batch and applies it in one CRM transaction
 *   (mapping, validation, quarantine, idempotent upsert). Should the batch fail, its records are
 *   applied one at a time, so that only the faulty one is retried and, failing still, goes to the
 *   dead-letter topic while the others land.</li>
 *   <li>{@code <entity>-change} applies one record under the {@code kafka-consumer} error handling.</li>
 *   <li>{@code <entity>-waiting-retry} applies records that waited for their parent once it has arrived.</li>
 * </ul>
 * A batch is committed once applied ({@link KafkaBatch#CONSUMER}). A record the dead-letter topic
 * does not take holds its batch until it does; a batch whose fallback fails still (the hub stopping
 * meanwhile) is not committed, and is consumed again.
 */
@Component
public class KafkaToCrmRoute extends RouteBuilder {

    private final HubProperties.Topics topics;

    public KafkaToCrmRoute(HubProperties props) {
        this.topics = props.topics();
    }

    @Override
    public void configure() {
        for (String entity : SyncConfiguration.ERP_ENTITIES) {
            String inbound = entity + "Inbound";
            from("kafka:" + topics.erpChanged(entity) + "?consumersCount={{hub.kafka.consumers}}&" + KafkaBatch.CONSUMER)
                    .routeId(entity + "-kafka-to-crm")
                    .setProperty(KafkaBatch.KEPT, body())
                    .doTry()
                        .setBody(method(KafkaBatch.class, "bodies")).id("read-" + entity + "-batch")
                        .bean(inbound, "applyJson").id("apply-" + entity + "-batch")
                        .bean("syncOutcomes", "counted").id("count-" + entity + "-batch")
                        .bean("kafkaCommits", "commit").id("commit-" + entity + "-batch")
                    .doCatch(Exception.class)
                        .log(LoggingLevel.WARN, "A batch of ${exchangeProperty." + KafkaBatch.KEPT + ".size} " + entity
                                + " changes failed (${exception.message}); applying them one at a time")
                        .split(method(KafkaBatch.class, "kept")).id("one-" + entity + "-change-at-a-time")
                            .to("direct:" + entity + "-change")
                        .end()
                        .bean("kafkaCommits", "commit").id("commit-" + entity + "-changes")
                    .end();

            from("direct:" + entity + "-change")
                    .routeId(entity + "-change")
                    .routeConfigurationId("kafka-consumer")
                    .unmarshal("sourceRecordJson").id("read-" + entity + "-change")
                    .bean(inbound, "apply").id("apply-" + entity + "-change")
                    .bean("syncOutcomes", "counted").id("count-" + entity + "-change");

            from("timer:" + entity + "-waiting?delay=2000&period={{hub.sync.waiting-retry-interval}}&synchronous=true")
                    .routeId(entity + "-waiting-retry")
                    .routeConfigurationId("poller")
                    .bean(inbound, "retryWaiting(500)").id("apply-waiting-" + entity + "s")
                    .bean("syncOutcomes", "counted").id("count-waiting-" + entity + "s");
        }
    }
}
