package io.crmhub.routes;

import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

/**
 * Writes CRM changes to the ERP: through the cross-reference, as the hub's ERP user, never
 * back to the system a change came from.
 */
@Component
public class KafkaToErpRoute extends RouteBuilder {

    @Override
    public void configure() {
        from("kafka:{{hub.topics.crm-changed}}?consumersCount={{hub.kafka.consumers}}")
                .routeId("crm-to-erp")
                .routeConfigurationId("kafka-consumer")
                .unmarshal("outboxEventJson").id("read-crm-change")
                .bean("erpWriter", "apply").id("write-erp-record")
                .bean("syncOutcomes", "written").id("count-written");
    }
}
