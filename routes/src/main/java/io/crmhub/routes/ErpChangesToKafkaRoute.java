package io.crmhub.routes;

import io.crmhub.connectors.config.HubProperties;
import io.crmhub.connectors.sync.SyncConfiguration;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.kafka.KafkaConstants;
import org.springframework.stereotype.Component;

/**
 * Publishes ERP changes to Kafka, one route per synchronized entity ({@code account-erp-to-kafka},
 * {@code contact-erp-to-kafka}, {@code order-erp-to-kafka}), keyed by the ERP key. The watermark
 * moves only after every change of the page is acknowledged by the broker: a crash in between
 * publishes the page again, and the idempotent receiver absorbs the repeat.
 */
@Component
public class ErpChangesToKafkaRoute extends RouteBuilder {

    static final String BATCH = "hubChangeBatch";

    private final HubProperties.Topics topics;

    public ErpChangesToKafkaRoute(HubProperties props) {
        this.topics = props.topics();
    }

    @Override
    public void configure() {
        for (String entity : SyncConfiguration.ERP_ENTITIES) {
            String reader = "erp" + Character.toUpperCase(entity.charAt(0)) + entity.substring(1) + "Changes";
            // synchronous: the next poll must not start before this batch has committed its watermark.
            from("timer:erp-" + entity + "-poll?delay=1000&period={{hub.erp.poll-interval}}&synchronous=true")
                    .routeId(entity + "-erp-to-kafka")
                    .routeConfigurationId("poller")
                    .bean(reader, "readNextBatch").id("read-erp-" + entity + "-changes")
                    .filter(simple("${body.empty} == false")).id(entity + "-changes?")
                        .setProperty(BATCH, body())
                        .split(simple("${body.records}")).stopOnException().id("each-" + entity + "-change")
                            .setHeader(KafkaConstants.KEY, simple("${body.externalId}"))
                            .marshal("sourceRecordJson")
                            .to("kafka:" + topics.erpChanged(entity)).id("publish-" + entity + "-change")
                        .end()
                        .setBody(exchangeProperty(BATCH))
                        .bean(reader, "commit").id("commit-" + entity + "-watermark")
                    .end();
        }
    }
}
