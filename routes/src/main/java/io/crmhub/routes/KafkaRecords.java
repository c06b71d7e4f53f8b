package io.crmhub.routes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.crm.OutboxEvent;
import io.crmhub.connectors.erp.ErpChangeReader.ChangeBatch;
import io.crmhub.transformers.model.SourceRecord;
import org.apache.camel.CamelContext;
import org.apache.camel.Message;
import org.apache.camel.component.jackson.JacksonDataFormat;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.support.DefaultMessage;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.stereotype.Component;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A batch as the records of one Kafka send: each keyed by the record it is about, as JSON text
 * written by the mapper of the data format its consumers read with. The producer pipelines the
 * records and waits for all their acknowledgements. Built in one pass: split into an exchange per
 * record, marshalled to a stream and converted back to text, a batch spent most of its time in
 * Camel's machinery.
 * <p>
 * A CRM change also carries its event type and origin as Kafka headers, so that the routes that
 * read every CRM change pass by those they do not act on without parsing them (most are ERP changes
 * the sync applied: the ERP writer sends none of them back, the order saga starts on none).
 */
@Component("kafkaRecords")
public class KafkaRecords {

    /** Kafka header of a CRM change: its event type ({@code ACCOUNT_UPDATED}, {@code ORDER_PLACED}, ...). */
    public static final String EVENT_TYPE = "crmhub-event-type";
    /** Kafka header of a CRM change: the system it came from ({@code CRM}, {@code ERP}, ...). */
    public static final String ORIGIN = "crmhub-origin";
    /** Consumers of CRM changes read these headers as text. */
    public static final String TEXT_HEADERS = "headerDeserializer=#class:org.apache.camel.component.kafka.serde.ToStringKafkaHeaderDeserializer";

    private final ObjectMapper outboxJson;
    private final ObjectMapper sourceJson;

    public KafkaRecords(@Qualifier("outboxEventJson") JacksonDataFormat outboxEventJson,
                        @Qualifier("sourceRecordJson") JacksonDataFormat sourceRecordJson) {
        this.outboxJson = outboxEventJson.getObjectMapper();
        this.sourceJson = sourceRecordJson.getObjectMapper();
    }

    /** Claimed outbox events, keyed by their CRM record id. */
    public List<Message> outbox(List<OutboxEvent> events, CamelContext camel) throws JsonProcessingException {
        List<Message> records = records(events, e -> e.aggregateId().toString(), outboxJson, camel);
        for (int i = 0; i < records.size(); i++) {
            records.get(i).setHeader(EVENT_TYPE, events.get(i).eventType());
            records.get(i).setHeader(ORIGIN, events.get(i).origin());
        }
        return records;
    }

    /** A page of ERP changes, keyed by their ERP key. */
    public List<Message> erpChanges(ChangeBatch batch, CamelContext camel) throws JsonProcessingException {
        return records(batch.records(), SourceRecord::externalId, sourceJson, camel);
    }

    private static <T> List<Message> records(List<T> items, Function<T, String> key, ObjectMapper json, CamelContext camel)
            throws JsonProcessingException {
        List<Message> records = new ArrayList<>(items.size());
        for (T item : items) {
            Message record = new DefaultMessage(camel);
            record.setHeader(KafkaConstants.KEY, key.apply(item));
            record.setBody(json.writeValueAsString(item));
            records.add(record);
        }
        return records;
    }
}
