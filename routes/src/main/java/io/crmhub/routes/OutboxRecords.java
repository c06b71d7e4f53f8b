package io.crmhub.routes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.crm.OutboxEvent;
import org.apache.camel.CamelContext;
import org.apache.camel.Message;
import org.apache.camel.component.jackson.JacksonDataFormat;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.support.DefaultMessage;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.stereotype.Component;

import java.util.ArrayList;
import java.util.List;

/**
 * Claimed outbox events as the records of one Kafka send: each keyed by its CRM record id, the
 * event as JSON text written by the mapper of {@code outboxEventJson}, the format its consumers
 * read. Built in one pass: split into an exchange per event, marshalled to a stream and converted
 * back to text, the batch spent most of its time in Camel's machinery.
 */
@Component("outboxRecords")
public class OutboxRecords {

    private final ObjectMapper json;

    public OutboxRecords(@Qualifier("outboxEventJson") JacksonDataFormat outboxEventJson) {
        this.json = outboxEventJson.getObjectMapper();
    }

    public List<Message> of(List<OutboxEvent> events, CamelContext camel) throws JsonProcessingException {
        List<Message> records = new ArrayList<>(events.size());
        for (OutboxEvent e : events) {
            Message record = new DefaultMessage(camel);
            record.setHeader(KafkaConstants.KEY, e.aggregateId().toString());
            record.setBody(json.writeValueAsString(e));
            records.add(record);
        }
        return records;
    }
}
