package io.crmhub.routes;

import io.crmhub.connectors.Outages;
import io.crmhub.connectors.config.HubProperties;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteConfigurationBuilder;
import org.apache.camel.support.PredicateToExpressionAdapter;
import org.springframework.stereotype.Component;

/**
 * The hub's shared error handling; routes opt in by id.
 * <ul>
 *   <li>{@code kafka-consumer}: a failed message is redelivered with exponential back-off; one that
 *   still fails goes, exactly as it arrived, to the dead-letter topic with its cause and source
 *   offset, and the rest of the partition keeps flowing. Should the dead-letter topic not take it,
 *   the message waits until it does ({@link DeadLetterRoute}), and its partition behind it; failed
 *   still, its batch is not committed ({@link KafkaBatch#CONSUMER}) and is consumed again.
 *   A message that failed because a system
 *   the hub needs is down ({@link Outages}) is not at fault: it is tried again, at most every
 *   {@code max-delay}, until that system is back, and never dead-lettered. Its partition waits
 *   behind it (nothing after it is committed).</li>
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
                .errorHandler(deadLetterChannel(DeadLetterRoute.ENDPOINT)
                        // the dead-letter route tries until the topic takes the message; should it
                        // fail still (the hub stopping), so does the message, where Camel's default
                        // would log the failure and commit the message as handled: lost
                        .deadLetterHandleNewException(false)
                        .useOriginalMessage()
                        .retryWhile(new PredicateToExpressionAdapter(this::redeliver))
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

    /** Again while its system is out, else up to {@code max-redeliveries} times. */
    private boolean redeliver(Exchange exchange) {
        return Outages.isOutage(exchange.getException())
                || exchange.getIn().getHeader(Exchange.REDELIVERY_COUNTER, 0, Integer.class) < retry.maxRedeliveries();
    }
}
