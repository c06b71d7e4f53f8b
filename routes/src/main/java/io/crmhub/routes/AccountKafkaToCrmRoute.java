package io.crmhub.routes;

import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

/**
 * Applies ERP account changes from Kafka to the CRM store: mapped and validated by the configured
 * mapping, quarantined with every reason when invalid, otherwise written once through the
 * idempotent account writer.
 */
@Component
public class AccountKafkaToCrmRoute extends RouteBuilder {

    @Override
    public void configure() {
        from("kafka:{{hub.topics.erp-account-changed}}?consumersCount={{hub.kafka.consumers}}")
                .routeId("account-kafka-to-crm")
                .routeConfigurationId("kafka-consumer")
                .unmarshal("sourceRecordJson").id("read-change")
                .bean("erpAccountMapper", "map").id("map-and-validate")
                .choice().id("valid?")
                    .when(simple("${body.valid}"))
                        .bean("accountWriter", "apply").id("upsert-crm-account")
                        .bean("syncOutcomes", "applied").id("count-applied")
                    .otherwise()
                        .bean("quarantineStore", "reject").id("quarantine")
                        .bean("syncOutcomes", "quarantined").id("count-quarantined")
                .end();
    }
}
