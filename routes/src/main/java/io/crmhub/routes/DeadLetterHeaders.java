package io.crmhub.routes;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.component.kafka.KafkaConstants;

/**
 * Stamps a message bound for the dead-letter topic with why it failed and where it came from, so
 * that an operator can judge it and replay it.
 */
public class DeadLetterHeaders implements Processor {

    public static final String CAUSE = "hub-dlq-cause";
    public static final String ROUTE = "hub-dlq-route";
    public static final String SOURCE_TOPIC = "hub-dlq-source-topic";
    public static final String SOURCE_PARTITION = "hub-dlq-source-partition";
    public static final String SOURCE_OFFSET = "hub-dlq-source-offset";

    @Override
    public void process(Exchange exchange) {
        Exception cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        var msg = exchange.getMessage();
        msg.setHeader(CAUSE, cause == null ? "unknown" : cause.getClass().getName() + ": " + cause.getMessage());
        msg.setHeader(ROUTE, String.valueOf(exchange.getFromRouteId()));
        msg.setHeader(SOURCE_TOPIC, String.valueOf(msg.getHeader(KafkaConstants.TOPIC)));
        msg.setHeader(SOURCE_PARTITION, String.valueOf(msg.getHeader(KafkaConstants.PARTITION)));
        msg.setHeader(SOURCE_OFFSET, String.valueOf(msg.getHeader(KafkaConstants.OFFSET)));
        // The dead-letter record keeps the original key; the producer must not reuse the source topic.
        msg.removeHeader(KafkaConstants.OVERRIDE_TOPIC);
    }
}
