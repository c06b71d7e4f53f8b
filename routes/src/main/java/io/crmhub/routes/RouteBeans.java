package io.crmhub.routes;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.crm.OutboxEvent;
import io.crmhub.transformers.model.SourceRecord;
import org.apache.camel.component.jackson.JacksonDataFormat;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Data formats the routes refer to by name. */
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

    private static JacksonDataFormat json(ObjectMapper objectMapper, Class<?> type) {
        JacksonDataFormat format = new JacksonDataFormat(objectMapper.copy(), type);
        format.setAutoDiscoverObjectMapper(false);
        return format;
    }
}
