package io.crmhub.hub.health;

import jakarta.validation.constraints.NotNull;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

import java.time.Duration;

/**
 * {@code hub.metrics.*}: how the backlog gauges are read.
 *
 * @param backlogRefresh how often the hub reads the backlog from the CRM store and Kafka (about a
 *                       scrape interval: a scrape reads the last figures and never waits)
 * @param kafkaTimeout   how long Kafka gets to answer the hub's admin client (backlog figures, health);
 *                       a figure it did not give is NaN
 */
@Validated
@ConfigurationProperties("hub.metrics")
public record BacklogMetricsProperties(
        @DefaultValue("15s") @NotNull @DurationMin(millis = 100) Duration backlogRefresh,
        @DefaultValue("3s") @NotNull @DurationMin(millis = 100) Duration kafkaTimeout) {
}
