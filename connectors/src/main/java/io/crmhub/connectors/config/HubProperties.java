package io.crmhub.connectors.config;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import org.hibernate.validator.constraints.time.DurationMin;
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
        @Valid @NotNull Billing billing,
        @Valid @NotNull Saga saga,
        @NotBlank String configDir) {

    /**
     * The billing system's REST API (Stripe's shape).
     *
     * @param apiKey         its secret key, from the environment ({@code HUB_BILLING_API_KEY})
     * @param timeout        how long one request may take before it is tried again
     * @param attempts       tries per request, the first included; the saga compensates after the last
     * @param initialBackoff the wait after a first failure, doubled each time (or the server's Retry-After)
     */
    public record Billing(
            @NotBlank @Pattern(regexp = "https?://.*", message = "must be an http(s) URL") String url,
            @NotBlank(message = "must be set (from the environment, never in the repository)") String apiKey,
            @DefaultValue("10s") @NotNull Duration timeout,
            @DefaultValue("4") @Min(1) int attempts,
            @DefaultValue("500ms") @NotNull Duration initialBackoff) {
    }

    /**
     * The saga log ({@code saga}, {@code saga_step}) and the order saga.
     *
     * @param timeout             a saga still running after this long is compensated
     * @param recoveryInterval    how often sagas to resume or time out are looked for
     * @param lease               how long an instance keeps a saga it works on; after a crash the saga
     *                            is resumed once this has passed
     * @param retryDelay          the wait after a failed compensation, doubled each time (at most 5 min)
     * @param orderConsumerGroup  the Kafka consumer group of the order saga on the CRM change topic
     * @param orderConsumers      order sagas run at once per hub (its consumer threads): their steps
     *                            wait on the ERP and the billing API, not on the CPU
     */
    public record Saga(
            @DefaultValue("10m") @NotNull Duration timeout,
            @DefaultValue("2s") @NotNull Duration recoveryInterval,
            @DefaultValue("30s") @NotNull Duration lease,
            @DefaultValue("1s") @NotNull Duration retryDelay,
            @DefaultValue("crm-hub-order-saga") @NotBlank String orderConsumerGroup,
            @DefaultValue("4") @Min(1) @jakarta.validation.constraints.Max(64) int orderConsumers) {
    }

    /**
     * How the ERP and the CRM are kept in sync.
     *
     * @param ownership          field-level system of record per entity ({@code account}, {@code contact}, {@code order})
     * @param hubUser            the ERP user the hub writes as (its last-change user column)
     * @param clockSkewTolerance a source change and a CRM edit of a shared field closer than this
     *                           go to the review list instead of last-writer-wins
     * @param parentWait         how long a record whose parent is not in the CRM yet waits before
     *                           it goes to quarantine (MISSING_PARENT)
     * @param waitingRetryInterval how often waiting records are checked for their parent
     */
    public record Sync(
            @DefaultValue({}) java.util.Map<String, @Valid Ownership> ownership,
            @DefaultValue("CRMHUB") @NotBlank String hubUser,
            @DefaultValue("5s") @NotNull Duration clockSkewTolerance,
            @DefaultValue("1s") @NotNull Duration outboxPollInterval,
            @DefaultValue("2000") @Min(1) int outboxBatch,
            @DefaultValue("1h") @NotNull Duration parentWait,
            @DefaultValue("2s") @NotNull Duration waitingRetryInterval) {

        /** Fields of the entity the ERP owns (canonical camelCase names). */
        public java.util.Set<String> erpOwnedFields(String entity) {
            Ownership o = ownership.get(entity);
            return o == null ? java.util.Set.of() : camel(o.erpOwned());
        }

        /** Fields of the entity the CRM owns (canonical camelCase names). */
        public java.util.Set<String> crmOwnedFields(String entity) {
            Ownership o = ownership.get(entity);
            return o == null ? java.util.Set.of() : camel(o.crmOwned());
        }

        private static java.util.Set<String> camel(List<String> kebab) {
            return kebab.stream().map(MappingConfiguration::camelCase).collect(java.util.stream.Collectors.toUnmodifiableSet());
        }
    }

    /**
     * Field-level system of record of one entity (kebab-case field names, as in the mapping files).
     *
     * @param erpOwned fields the ERP owns: a change from the ERP always wins, CRM edits are never written to the ERP
     * @param crmOwned fields the CRM owns: the ERP sets them when it creates the record, never after
     */
    public record Ownership(@DefaultValue({}) List<String> erpOwned, @DefaultValue({}) List<String> crmOwned) {
    }

    /** How the hub consumes Kafka. */
    public record Kafka(
            /* consumer threads per route; more than the topic's partitions sit idle */
            @DefaultValue("2") @Min(1) @jakarta.validation.constraints.Max(64) int consumers,
            /* records a consumer applies in one CRM transaction */
            @DefaultValue("500") @Min(1) @jakarta.validation.constraints.Max(5000) int batchSize) {
    }

    /** Redelivery of failed messages before they go to the dead-letter topic. */
    public record Retry(
            @DefaultValue("5") @Min(0) int maxRedeliveries,
            @DefaultValue("200ms") @NotNull Duration initialDelay,
            @DefaultValue("10s") @NotNull Duration maxDelay) {
    }

    /**
     * The CRM store (PostgreSQL).
     *
     * @param connectionTimeout how long a statement waits for a pooled connection before it fails
     *                          (and, in an outage, is tried again)
     */
    public record Crm(
            @NotBlank @Pattern(regexp = "jdbc:postgresql:.*", message = "must be a jdbc:postgresql: URL") String url,
            @NotBlank String username,
            String password,
            @DefaultValue("10") @Min(2) int poolSize,
            @DefaultValue("30s") @NotNull @DurationMin(millis = 250) Duration connectionTimeout) {
    }

    /**
     * The legacy ERP, any JDBC database, polled for changes.
     *
     * @param connectionTimeout how long a poll or a write waits for a pooled connection before it
     *                          fails (and, in an outage, is tried again)
     * @param settle            how long after its stamp, by the ERP's clock, a row is read: two
     *                          commits to one row within the stamp's second both end before it
     *                          (0: rows are read at once)
     * @param clockQuery        the query that reads the ERP's clock as a local timestamp
     */
    public record Erp(
            @NotBlank @Pattern(regexp = "jdbc:.*", message = "must be a JDBC URL") String url,
            @NotBlank String username,
            String password,
            @DefaultValue("4") @Min(1) int poolSize,
            @DefaultValue("10s") @NotNull @DurationMin(millis = 250) Duration connectionTimeout,
            @DefaultValue("5s") @NotNull Duration pollInterval,
            @DefaultValue("500") @Min(1) int pageSize,
            @DefaultValue("2m") @NotNull Duration overlap,
            @DefaultValue("1s") @NotNull Duration settle,
            @DefaultValue("SELECT LOCALTIMESTAMP") @NotBlank String clockQuery) {
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
            @NotBlank String erpContactChanged,
            @NotBlank String erpOrderChanged,
            @NotBlank String crmChanged,
            @NotBlank String deadLetter) {

        /** The topic ERP changes of the entity travel on. */
        public String erpChanged(String entity) {
            return switch (entity) {
                case "account" -> erpAccountChanged;
                case "contact" -> erpContactChanged;
                case "order" -> erpOrderChanged;
                default -> throw new IllegalArgumentException("no topic for entity " + entity);
            };
        }
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
