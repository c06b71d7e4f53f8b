package io.crmhub.routes;

import org.apache.camel.Exchange;
import org.apache.camel.Message;

import java.util.List;

/**
 * The records of a Kafka consumer batch (a list of exchanges, one per record), and how a batch
 * consumer commits them: only once the whole batch has been applied.
 */
final class KafkaBatch {

    /**
     * The options of every Kafka consumer of the hub: batches of up to {@code hub.kafka.batch-size}
     * records, committed by the route once applied ({@link KafkaCommits}) and never by Kafka's auto
     * commit. Camel 4.18's auto commit commits the consumer's position: also after a batch that
     * failed (breaking on the first error commits before it reconnects) and when a consumer stops,
     * so that a batch waiting out an outage when the hub stopped was lost.
     */
    static final String CONSUMER = "batching=true&maxPollRecords={{hub.kafka.batch-size}}&pollTimeoutMs=200&batchingIntervalMs=200"
            + "&breakOnFirstError=true&autoCommitEnable=false&allowManualCommit=true"
            + "&kafkaManualCommitFactory=#class:org.apache.camel.component.kafka.consumer.DefaultKafkaManualCommitFactory";

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

    /** The batch's records, as messages with their Kafka headers, whose header {@code name} is not {@code value}. */
    static List<Message> without(Exchange batch, String name, String value) {
        return records(batch).stream().map(Exchange::getMessage).filter(m -> !value.equals(m.getHeader(name, String.class))).toList();
    }

    /** The batch's records, as messages with their Kafka headers, whose header {@code name} is {@code value} or missing. */
    static List<Message> possibly(Exchange batch, String name, String value) {
        return records(batch).stream().map(Exchange::getMessage)
                .filter(m -> m.getHeader(name) == null || value.equals(m.getHeader(name, String.class))).toList();
    }

    @SuppressWarnings("unchecked")
    private static List<Exchange> records(Exchange batch) {
        return (List<Exchange>) batch.getMessage().getBody(List.class);
    }
}
