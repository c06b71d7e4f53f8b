package io.crmhub.embedded;

import com.zaxxer.hikari.HikariDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.support.DefaultSingletonBeanRegistry;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Starts, before the application context refreshes, every in-process service whose real endpoint
 * the operator has not configured: PostgreSQL for the CRM store ({@code hub.crm.url}), Kafka in
 * KRaft mode ({@code camel.component.kafka.brokers}), the mail server ({@code hub.mail.host}) and
 * the demo ERP ({@code hub.erp.url}) and the billing simulator ({@code hub.billing.url}). Only active with {@code hub.embedded.enabled=true} (the
 * {@code embedded} profile). Their endpoints are published as properties, so the rest of the hub
 * cannot tell an embedded service from a real one.
 */
public class EmbeddedServicesInitializer implements ApplicationContextInitializer<ConfigurableApplicationContext> {

    /** Names of the embedded services started, comma-separated, for the start-up banner. */
    public static final String STARTED_PROPERTY = "hub.embedded.started";

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedServicesInitializer.class);
    private static final String PROPERTY_SOURCE = "embeddedServices";

    @Override
    public void initialize(ConfigurableApplicationContext context) {
        ConfigurableEnvironment env = context.getEnvironment();
        if (!env.getProperty("hub.embedded.enabled", Boolean.class, false)
                || env.getPropertySources().contains(PROPERTY_SOURCE)) {
            return;
        }
        Deque<AutoCloseable> started = new ArrayDeque<>();
        Map<String, Object> props = new LinkedHashMap<>();
        try {
            Path dataDir = dataDir(env.getProperty("hub.embedded.data-dir", ""), started);
            if (blank(env, "hub.crm.url")) {
                startCrm(env, dataDir, props, started);
            }
            if (blank(env, "camel.component.kafka.brokers")) {
                EmbeddedKafka kafka = EmbeddedKafka.start(dataDir.resolve("kafka"),
                        env.getProperty("hub.embedded.kafka-port", Integer.class, 0));
                started.push(kafka);
                props.put("camel.component.kafka.brokers", kafka.bootstrapServers());
                mark(props, "kafka");
            }
            if (blank(env, "hub.mail.host")) {
                startMail(env, props, started);
            }
            if (blank(env, "hub.erp.url")) {
                startDemoErp(env, dataDir, props, started);
            }
            if (blank(env, "hub.billing.url")) {
                startBilling(env, props, started);
            }
        } catch (Exception e) {
            closeAll(started);
            throw new IllegalStateException("Could not start the embedded services: " + e.getMessage(), e);
        }
        env.getPropertySources().addFirst(new MapPropertySource(PROPERTY_SOURCE, props));
        // The services must outlive every bean that uses them: Camel drains its routes and the pools
        // close while Kafka and PostgreSQL are still up. Registered before any other disposable
        // bean, this one is destroyed last, on a normal close and on a failed start alike.
        if (context.getBeanFactory() instanceof DefaultSingletonBeanRegistry registry) {
            registry.registerDisposableBean("embeddedServices", () -> closeAll(started));
        } else {
            throw new IllegalStateException("unsupported bean factory " + context.getBeanFactory().getClass());
        }
    }

    private static void startCrm(ConfigurableEnvironment env, Path dataDir, Map<String, Object> props,
                                 Deque<AutoCloseable> started) throws Exception {
        // server settings on top of the embedded defaults, e.g. hub.embedded.postgres-settings[work_mem]=64MB
        Map<String, String> settings = Binder.get(env)
                .bind("hub.embedded.postgres-settings", Bindable.mapOf(String.class, String.class))
                .orElse(Map.of());
        EmbeddedCrmDatabase crm = EmbeddedCrmDatabase.start(dataDir.resolve("postgres"),
                env.getProperty("hub.embedded.postgres-port", Integer.class, 0), settings)
                .stopAfterTheApplication(Duration.ofSeconds(90));
        started.push(crm);
        props.put("hub.crm.url", crm.createDatabase("crmhub"));
        props.put("hub.crm.username", "postgres");
        props.put("hub.crm.password", "");
        mark(props, "postgres");
    }

    private static void startMail(ConfigurableEnvironment env, Map<String, Object> props, Deque<AutoCloseable> started) {
        String address = env.getProperty("hub.mail.from", "hub@crmhub.local");
        String password = randomSecret();
        EmbeddedMailServer mail = EmbeddedMailServer.start(
                env.getProperty("hub.embedded.smtp-port", Integer.class, 0),
                env.getProperty("hub.embedded.imap-port", Integer.class, 0), address, "hub", password);
        started.push(mail);
        props.put("hub.mail.host", "127.0.0.1");
        props.put("hub.mail.smtp-port", mail.smtpPort());
        props.put("hub.mail.imap-port", mail.imapPort());
        props.put("hub.mail.username", "hub");
        props.put("hub.mail.password", password);
        mark(props, "mail");
    }

    /** The billing simulator: its invoices live in memory, for the demo's lifetime. */
    private static void startBilling(ConfigurableEnvironment env, Map<String, Object> props, Deque<AutoCloseable> started) {
        String key = blank(env, "hub.billing.api-key") ? "sk_test_" + UUID.randomUUID().toString().replace("-", "")
                : env.getProperty("hub.billing.api-key");
        BillingSimulator billing = new BillingSimulator(key, env.getProperty("hub.embedded.billing-port", Integer.class, 0));
        started.push(billing);
        props.put("hub.billing.url", billing.url().toString());
        props.put("hub.billing.api-key", key);
        mark(props, "billing");
    }

    private static void startDemoErp(ConfigurableEnvironment env, Path dataDir, Map<String, Object> props,
                                     Deque<AutoCloseable> started) throws Exception {
        Path erpDir = dataDir.resolve("erp");
        Files.createDirectories(erpDir);
        // AUTO_SERVER lets an operator open the demo ERP with any H2 client while the hub runs.
        String url = "jdbc:h2:file:" + erpDir.toAbsolutePath().resolve("erp") + ";MODE=MariaDB;AUTO_SERVER=TRUE";
        HikariDataSource seed = new HikariDataSource();
        seed.setJdbcUrl(url);
        seed.setUsername("erp");
        seed.setPassword("");
        try (seed) {
            ErpFixtures.apply(seed, env.getProperty("hub.embedded.erp-demo-data", Boolean.class, true));
        }
        props.put("hub.erp.url", url);
        props.put("hub.erp.username", "erp");
        props.put("hub.erp.password", "");
        mark(props, "erp");
    }

    private static Path dataDir(String configured, Deque<AutoCloseable> started) throws Exception {
        if (!configured.isBlank()) {
            Path dir = Path.of(configured).toAbsolutePath().normalize();
            Files.createDirectories(dir);
            return dir;
        }
        Path tmp = Files.createTempDirectory("crmhub-");
        started.push(() -> deleteTree(tmp));
        return tmp;
    }

    private static void mark(Map<String, Object> props, String service) {
        props.merge(STARTED_PROPERTY, service, (a, b) -> a + "," + b);
    }

    private static boolean blank(ConfigurableEnvironment env, String property) {
        String v = env.getProperty(property);
        return v == null || v.isBlank();
    }

    private static String randomSecret() {
        byte[] b = new byte[18];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static void closeAll(Deque<AutoCloseable> started) {
        while (!started.isEmpty()) {
            AutoCloseable c = started.pop();
            try {
                c.close();
            } catch (Exception e) {
                LOG.warn("Stopping embedded service {} failed: {}", c.getClass().getSimpleName(), e.toString());
            }
        }
    }

    private static void deleteTree(Path root) throws java.io.IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
