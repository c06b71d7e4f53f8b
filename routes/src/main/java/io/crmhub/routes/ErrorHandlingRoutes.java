package io.crmhub.routes;

import io.crmhub.connectors.config.HubProperties;
import org.apache.camel.builder.RouteConfigurationBuilder;
import org.springframework.stereotype.Component;

/**
 * The hub's shared error handling; routes opt in by id.
 * <ul>
 *   <li>{@code kafka-consumer}: transient failures are redelivered with exponential back-off; a
 *   message that still fails goes, exactly as it arrived, to the dead-letter topic with its cause
 *   and source offset, and the rest of the partition keeps flowing.</li>
 *   <li>{@code poller}: a failed poll is retried with back-off, then logged; nothing is committed, so
 *   the next poll reads the same changes again.</li>
 * </ul>
 */
@Component
public class ErrorHandlingRoutes extends RouteConfigurationBuilder {

    private final HubProperties.Retry retry;

    public ErrorHandlingRoutes(HubProperties props) {
        this.retry = props.retry();
    }

    @Override
    public void configuration() {
        routeConfiguration("kafka-consumer")
                .errorHandler(deadLetterChannel("kafka:{{hub.topics.dead-letter}}")
                        .useOriginalMessage()
                        .maximumRedeliveries(retry.maxRedeliveries())
                        .redeliveryDelay(retry.initialDelay().toMillis())
                        .useExponentialBackOff()
                        .maximumRedeliveryDelay(retry.maxDelay().toMillis())
                        .retryAttemptedLogLevel(org.apache.camel.LoggingLevel.WARN)
                        .onPrepareFailure(new DeadLetterHeaders()));

        routeConfiguration("poller")
                .errorHandler(defaultErrorHandler()
                        .maximumRedeliveries(3)
                        .redeliveryDelay(500)
                        .useExponentialBackOff()
                        .retryAttemptedLogLevel(org.apache.camel.LoggingLevel.WARN));
    }
}
