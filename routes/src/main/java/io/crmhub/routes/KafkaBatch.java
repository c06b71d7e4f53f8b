package io.crmhub.routes;

import org.apache.camel.Exchange;
import org.apache.camel.Message;

import java.util.List;

/** The records of a Kafka consumer batch (a list of exchanges, one per record). */
final class KafkaBatch {

    /** Exchange property holding the batch while its body is being worked on. */
    static final String KEPT = "hubKafkaBatch";

    private KafkaBatch() {
    }

    /** The records' payloads, in offset order. */
    static List<String> bodies(Exchange batch) {
        return records(batch).stream().map(e -> e.getMessage().getBody(String.class)).toList();
    }

    /**
     * The records of the batch kept in property {@link #KEPT} as messages with their Kafka headers;
     * split into these, each record is an exchange of its own, as if consumed alone.
     */
    @SuppressWarnings("unchecked")
    static List<Message> kept(Exchange exchange) {
        return ((List<Exchange>) exchange.getProperty(KEPT, List.class)).stream().map(Exchange::getMessage).toList();
    }

    @SuppressWarnings("unchecked")
    private static List<Exchange> records(Exchange batch) {
        return (List<Exchange>) batch.getMessage().getBody(List.class);
    }
}
