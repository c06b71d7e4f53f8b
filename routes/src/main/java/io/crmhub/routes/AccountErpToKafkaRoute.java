package io.crmhub.routes;

import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.kafka.KafkaConstants;
import org.springframework.stereotype.Component;

/**
 * Publishes ERP customer changes to Kafka, keyed by the ERP customer number. The watermark moves
 * only after every change of the page is acknowledged by the broker: a crash in between publishes
 * the page again, and the idempotent receiver absorbs the repeat.
 */
@Component
public class AccountErpToKafkaRoute extends RouteBuilder {

    static final String BATCH = "hubChangeBatch";

    @Override
    public void configure() {
        // synchronous: the next poll must not start before this batch has committed its watermark.
        from("timer:erp-account-poll?delay=1000&period={{hub.erp.poll-interval}}&synchronous=true")
                .routeId("account-erp-to-kafka")
                .routeConfigurationId("poller")
                .bean("erpAccountChanges", "readNextBatch").id("read-erp-account-changes")
                .filter(simple("${body.empty} == false")).id("any-changes")
                    .setProperty(BATCH, body())
                    .split(simple("${body.records}")).stopOnException().id("each-change")
                        .setHeader(KafkaConstants.KEY, simple("${body.externalId}"))
                        .marshal("sourceRecordJson")
                        .to("kafka:{{hub.topics.erp-account-changed}}").id("publish-account-change")
                    .end()
                    .setBody(exchangeProperty(BATCH))
                    .bean("erpAccountChanges", "commit").id("commit-watermark")
                .end();
    }
}
