package io.crmhub.routes;

import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

/**
 * Writes CRM changes to the ERP: through the cross-reference, as the hub's ERP user, never
 * back to the system a change came from. A Kafka batch at a time: the ERP's own changes are known by
 * their origin header and counted unread, the others written one at a time (the writer checks the
 * origin again for changes relayed without headers); the batch is committed once written.
 */
@Component
public class KafkaToErpRoute extends RouteBuilder {

    @Override
    public void configure() {
        from("kafka:{{hub.topics.crm-changed}}?consumersCount={{hub.kafka.consumers}}&" + KafkaBatch.CONSUMER + "&" + KafkaRecords.TEXT_HEADERS)
                .routeId("crm-to-erp")
                .setProperty(KafkaBatch.KEPT, body())
                .setBody(exchange -> KafkaBatch.without(exchange, KafkaRecords.ORIGIN, "ERP")).id("not-from-the-erp")
                .bean("syncOutcomes", "notSentBack(${exchangeProperty." + KafkaBatch.KEPT + ".size}, ${body.size})").id("count-not-sent-back")
                .split(body()).id("one-crm-change-at-a-time")
                    .to("direct:crm-change-to-erp")
                .end()
                .bean("kafkaCommits", "commit").id("commit-crm-changes");

        from("direct:crm-change-to-erp")
                .routeId("crm-change-to-erp")
                .routeConfigurationId("kafka-consumer")
                .unmarshal("outboxEventJson").id("read-crm-change")
                .bean("erpWriter", "apply").id("write-erp-record")
                .bean("syncOutcomes", "written").id("count-written");
    }
}
