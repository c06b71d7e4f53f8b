package io.crmhub.connectors.store;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

import java.time.Duration;

/**
 * {@code hub.housekeeping.*}: how long the hub keeps what only its own machinery needs.
 *
 * @param processedKeyRetention how long an idempotency key is kept after its message was applied.
 *                              Longer than the topics' retention, so that anything Kafka can still
 *                              deliver again finds its key; a record's version in the
 *                              cross-reference refuses an older or equal version even without it
 * @param outboxRetention       how long an outbox event is kept after it was published (events not
 *                              published yet are never removed)
 * @param interval              how often both are purged
 * @param chunk                 rows removed per statement (each in its own short transaction)
 */
@Validated
@ConfigurationProperties("hub.housekeeping")
public record HousekeepingProperties(
        @DefaultValue("30d") @NotNull @DurationMin(hours = 1) Duration processedKeyRetention,
        @DefaultValue("7d") @NotNull @DurationMin(hours = 1) Duration outboxRetention,
        @DefaultValue("1h") @NotNull @DurationMin(seconds = 1) Duration interval,
        @DefaultValue("10000") @Min(1) @Max(1_000_000) int chunk) {
}
