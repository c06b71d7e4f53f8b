package io.crmhub.routes;

import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

/**
 * Writes CRM account changes to the ERP: through the cross-reference, as the hub's ERP user, never
 * back to the system a change came from.
 */
@Component
public class AccountKafkaToErpRoute extends RouteBuilder {

    @Override
    public void configure() {
        from("kafka:{{hub.topics.crm-account-changed}}?consumersCount={{hub.kafka.consumers}}")
                .routeId("account-kafka-to-erp")
                .routeConfigurationId("kafka-consumer")
                .unmarshal("outboxEventJson").id("read-crm-change")
                .bean("erpAccountWriter", "apply").id("write-erp-customer")
                .bean("syncOutcomes", "written").id("count-written");
    }
}
