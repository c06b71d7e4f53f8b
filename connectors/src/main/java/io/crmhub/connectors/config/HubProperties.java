package io.crmhub.connectors.config;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

import java.time.Duration;
import java.util.List;

/**
 * Every setting of the hub under {@code hub.*}, validated at start-up: a wrong or missing value
 * stops the hub with a message naming the property.
 */
@Validated
@ConfigurationProperties("hub")
public record HubProperties(
        @Valid @NotNull Crm crm,
        @Valid @NotNull Erp erp,
        @Valid @NotNull Mail mail,
        @Valid @NotNull Topics topics,
        @Valid @NotNull Security security,
        @Valid @NotNull Retry retry,
        @Valid @NotNull Kafka kafka,
        @Valid @NotNull Sync sync,
        @NotBlank String configDir) {

    /**
     * Field-level system of record for accounts synchronized with the ERP (canonical field names,
     * kebab-case as in the mapping files).
     *
     * @param erpOwned  fields the ERP owns: CRM edits of them are never written to the ERP
     * @param crmOwned  fields the CRM owns: the ERP sets them when it creates an account, never after
     * @param hubUser   the ERP user the hub writes as (its last-change user column)
     * @param clockSkewTolerance a source change and a CRM edit of a shared field closer than this
     *                  go to the review list instead of last-writer-wins
     */
    public record Sync(
            @DefaultValue({}) List<String> erpOwned,
            @DefaultValue({}) List<String> crmOwned,
            @DefaultValue("CRMHUB") @NotBlank String hubUser,
            @DefaultValue("5s") @NotNull Duration clockSkewTolerance,
            @DefaultValue("1s") @NotNull Duration outboxPollInterval,
            @DefaultValue("500") @Min(1) int outboxBatch) {

        public java.util.Set<String> erpOwnedFields() {
            return camel(erpOwned);
        }

        public java.util.Set<String> crmOwnedFields() {
            return camel(crmOwned);
        }

        private static java.util.Set<String> camel(List<String> kebab) {
            return kebab.stream().map(MappingConfiguration::camelCase).collect(java.util.stream.Collectors.toUnmodifiableSet());
        }
    }

    /** How the hub consumes Kafka. */
    public record Kafka(
            /* consumer threads per route; more than the topic's partitions sit idle */
            @DefaultValue("4") @Min(1) @jakarta.validation.constraints.Max(64) int consumers) {
    }

    /** Redelivery of failed messages before they go to the dead-letter topic. */
    public record Retry(
            @DefaultValue("5") @Min(0) int maxRedeliveries,
            @DefaultValue("200ms") @NotNull Duration initialDelay,
            @DefaultValue("10s") @NotNull Duration maxDelay) {
    }

    /** The CRM store (PostgreSQL). */
    public record Crm(
            @NotBlank @Pattern(regexp = "jdbc:postgresql:.*", message = "must be a jdbc:postgresql: URL") String url,
            @NotBlank String username,
            String password,
            @DefaultValue("10") @Min(2) int poolSize) {
    }

    /** The legacy ERP, any JDBC database, polled for changes. */
    public record Erp(
            @NotBlank @Pattern(regexp = "jdbc:.*", message = "must be a JDBC URL") String url,
            @NotBlank String username,
            String password,
            @DefaultValue("4") @Min(1) int poolSize,
            @DefaultValue("5s") @NotNull Duration pollInterval,
            @DefaultValue("500") @Min(1) int pageSize,
            @DefaultValue("2m") @NotNull Duration overlap) {
    }

    /** The mail server the hub sends through (SMTP) and reads from (IMAP). */
    public record Mail(
            @NotBlank String host,
            @Min(1) int smtpPort,
            @Min(1) int imapPort,
            String username,
            String password,
            @NotBlank String from) {
    }

    /** Kafka topic names. */
    public record Topics(
            @NotBlank String erpAccountChanged,
            @NotBlank String crmAccountChanged,
            @NotBlank String deadLetter) {
    }

    /** Users of the management surfaces and the admin API; passwords come from the environment. */
    public record Security(@NotEmpty List<@Valid User> users) {
    }

    /**
     * @param password plain text or a Spring Security encoded value ({@code {bcrypt}...})
     * @param roles    {@code admin} (operate) and/or {@code viewer} (look)
     */
    public record User(
            @NotBlank String username,
            @NotBlank(message = "must be set (from the environment, never in the repository)") String password,
            @NotEmpty List<@Pattern(regexp = "admin|viewer", message = "must be admin or viewer") String> roles) {
    }
}
