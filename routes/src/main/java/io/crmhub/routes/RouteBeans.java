package io.crmhub.routes;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.crm.OutboxEvent;
import io.crmhub.connectors.saga.JdbcSagaService;
import io.crmhub.transformers.model.SourceRecord;
import org.apache.camel.CamelContext;
import org.apache.camel.component.jackson.JacksonDataFormat;
import org.apache.camel.spring.boot.CamelContextConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Data formats the routes refer to by name, and the saga log the Saga EIP runs on. */
@Configuration(proxyBeanMethods = false)
public class RouteBeans {

    /** A source record as it travels on Kafka: JSON with ISO-8601 instants. */
    @Bean
    public JacksonDataFormat sourceRecordJson(ObjectMapper objectMapper) {
        return json(objectMapper, SourceRecord.class);
    }

    /** A CRM change event from the outbox as it travels on Kafka. */
    @Bean
    public JacksonDataFormat outboxEventJson(ObjectMapper objectMapper) {
        return json(objectMapper, OutboxEvent.class);
    }

    /** The saga log becomes a service of the Camel context: started and stopped with it, found by {@code .saga()}. */
    @Bean
    public CamelContextConfiguration sagaServiceRegistration(JdbcSagaService sagaService) {
        return new CamelContextConfiguration() {
            @Override
            public void beforeApplicationStart(CamelContext camelContext) {
                try {
                    camelContext.addService(sagaService, true, true);
                } catch (Exception e) {
                    throw new IllegalStateException("cannot register the saga service", e);
                }
            }

            @Override
            public void afterApplicationStart(CamelContext camelContext) {
                // nothing
            }
        };
    }

    private static JacksonDataFormat json(ObjectMapper objectMapper, Class<?> type) {
        JacksonDataFormat format = new JacksonDataFormat(objectMapper.copy(), type);
        format.setAutoDiscoverObjectMapper(false);
        return format;
    }
}
