package io.crmhub.routes;

import io.crmhub.connectors.config.HubProperties;
import io.crmhub.connectors.sync.SyncConfiguration;
import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

/**
 * Publishes ERP changes to Kafka, one route per synchronized entity ({@code account-erp-to-kafka},
 * {@code contact-erp-to-kafka}, {@code order-erp-to-kafka}), keyed by the ERP key. A poll reads
 * page after page while they come full, so that a mass update in the ERP drains at once instead
 * of one page per poll interval. Each page is one Kafka send, and the watermark moves only after
 * every change of the page is acknowledged by the broker: a crash in between publishes the page
 * again, and the idempotent receiver absorbs the repeat.
 */
@Component
public class ErpChangesToKafkaRoute extends RouteBuilder {

    static final String BATCH = "hubChangeBatch";
    static final String MORE = "hubMoreErpChanges";

    private final HubProperties.Topics topics;

    public ErpChangesToKafkaRoute(HubProperties props) {
        this.topics = props.topics();
    }

    @Override
    public void configure() {
        for (String entity : SyncConfiguration.ERP_ENTITIES) {
            String reader = "erp" + Character.toUpperCase(entity.charAt(0)) + entity.substring(1) + "Changes";
            // synchronous: the next poll must not start before this one has committed its watermark.
            from("timer:erp-" + entity + "-poll?delay=1000&period={{hub.erp.poll-interval}}&synchronous=true")
                    .routeId(entity + "-erp-to-kafka")
                    .routeConfigurationId("poller")
                    .setProperty(MORE, constant(true))
                    .loopDoWhile(exchange -> exchange.getProperty(MORE, false, Boolean.class) && !exchange.getContext().isStopping())
                            .id("while-" + entity + "-pages-come-full")
                        .setProperty(MORE, constant(false))
                        // the first page of a poll also looks behind the watermark for late commits
                        .bean(reader, "readPage(${exchangeProperty.CamelLoopIndex})").id("read-erp-" + entity + "-changes")
                        .filter(simple("${body.empty} == false")).id(entity + "-changes?")
                            .setProperty(BATCH, body())
                            .bean("kafkaRecords", "erpChanges").id("as-kafka-records-" + entity)
                            .to("kafka:" + topics.erpChanged(entity)).id("publish-" + entity + "-changes")
                            .setBody(exchangeProperty(BATCH))
                            .bean(reader, "commit").id("commit-" + entity + "-watermark")
                            .setProperty(MORE, simple("${exchangeProperty." + BATCH + ".full}", Boolean.class))
                        .end()
                    .end();
        }
    }
}
