package io.crmhub.routes;

import io.crmhub.connectors.erp.ErpWriter;
import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

/**
 * Writes CRM changes to the ERP: through the cross-reference, as the hub's ERP user, never
 * back to the system a change came from. An ERP change is known by its origin header and counted
 * unread; the writer checks the origin again for changes relayed without headers.
 */
@Component
public class KafkaToErpRoute extends RouteBuilder {

    @Override
    public void configure() {
        from("kafka:{{hub.topics.crm-changed}}?consumersCount={{hub.kafka.consumers}}&breakOnFirstError=true&" + KafkaRecords.TEXT_HEADERS)
                .routeId("crm-to-erp")
                .routeConfigurationId("kafka-consumer")
                .choice().id("from-the-erp")
                    .when(header(KafkaRecords.ORIGIN).isEqualTo("ERP"))
                        .setBody(constant(ErpWriter.Outcome.FROM_ERP)).id("not-sent-back")
                    .otherwise()
                        .unmarshal("outboxEventJson").id("read-crm-change")
                        .bean("erpWriter", "apply").id("write-erp-record")
                .end()
                .bean("syncOutcomes", "written").id("count-written");
    }
}
