package io.crmhub.routes;

import io.crmhub.connectors.config.HubProperties;
import org.apache.camel.LoggingLevel;
import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

/**
 * Publishes a message the {@code kafka-consumer} error handling gave up on to the dead-letter
 * topic, and tries again, with back-off up to {@code hub.retry.max-delay}, for as long as the topic
 * does not take it (the broker out, the message larger than the topic allows, no right to write):
 * the message's own exchange waits meanwhile, so that its consumer commits nothing from it on and
 * it is neither lost nor committed as handled. One route, and so one Kafka producer, for every
 * consumer route.
 */
@Component
public class DeadLetterRoute extends RouteBuilder {

    static final String ENDPOINT = "direct:dead-letter";

    private final HubProperties.Retry retry;

    public DeadLetterRoute(HubProperties props) {
        this.retry = props.retry();
    }

    @Override
    public void configure() {
        from(ENDPOINT)
                .routeId("dead-letter")
                .errorHandler(defaultErrorHandler()
                        .maximumRedeliveries(-1)
                        .redeliveryDelay(retry.initialDelay().toMillis())
                        .useExponentialBackOff()
                        .maximumRedeliveryDelay(retry.maxDelay().toMillis())
                        .retryAttemptedLogLevel(LoggingLevel.WARN))
                .to("kafka:{{hub.topics.dead-letter}}").id("publish-dead-letter");
    }
}
