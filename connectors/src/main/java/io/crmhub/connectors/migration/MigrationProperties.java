package io.crmhub.connectors.migration;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

import java.time.Duration;

/**
 * {@code hub.migration.*}: how legacy migrations run.
 *
 * @param lease             how long a run stays its node's without a committed batch; a run whose
 *                          node died is taken over after it
 * @param pollInterval      how often schedules are checked and abandoned runs looked for
 * @param reportBaseUrl     the admin API's address as the job's owner reaches it, for the links in mails
 */
@Validated
@ConfigurationProperties("hub.migration")
public record MigrationProperties(
        @DefaultValue("60s") @NotNull Duration lease,
        @DefaultValue("15s") @NotNull Duration pollInterval,
        @DefaultValue("http://localhost:8080/api/migrations") @NotBlank String reportBaseUrl) {
}
