package io.crmhub.embedded;

import org.junit.jupiter.api.Test;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.core.env.MapPropertySource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

class EmbeddedServicesInitializerTest {

    private static GenericApplicationContext contextWith(Map<String, Object> props) {
        GenericApplicationContext ctx = new GenericApplicationContext();
        ctx.getEnvironment().getPropertySources().addFirst(new MapPropertySource("test", props));
        return ctx;
    }

    /** The embedded profile with real CRM, ERP, Kafka and billing endpoints: only the mail server is left to embed. */
    private static Map<String, Object> everythingButMailConfigured() {
        Map<String, Object> props = new HashMap<>();
        props.put("hub.embedded.enabled", "true");
        props.put("hub.crm.url", "jdbc:postgresql://db.example:5432/crm");
        props.put("hub.erp.url", "jdbc:mariadb://erp.example:3306/erp");
        props.put("camel.component.kafka.brokers", "kafka.example:9092");
        props.put("hub.billing.url", "https://billing.example");
        return props;
    }

    @Test
    void configuredEndpointsKeepTheirEmbeddedPartOff() {
        GenericApplicationContext ctx = contextWith(everythingButMailConfigured());

        new EmbeddedServicesInitializer().initialize(ctx);
        ctx.refresh();
        try {
            var env = ctx.getEnvironment();
            assertThat(env.getProperty(EmbeddedServicesInitializer.STARTED_PROPERTY)).isEqualTo("mail");
            assertThat(env.getProperty("hub.crm.url")).isEqualTo("jdbc:postgresql://db.example:5432/crm");
            assertThat(env.getProperty("camel.component.kafka.brokers")).isEqualTo("kafka.example:9092");
            assertThat(env.getProperty("hub.billing.url")).isEqualTo("https://billing.example");
            assertThat(env.getProperty("hub.mail.host")).isEqualTo("127.0.0.1");
            assertThat(env.getProperty("hub.mail.password")).hasSizeGreaterThan(16);
        } finally {
            ctx.close();
        }
    }

    @Test
    void servicesOutliveEveryBeanThatUsesThemAndStopWithTheContext() {
        GenericApplicationContext ctx = contextWith(everythingButMailConfigured());
        new EmbeddedServicesInitializer().initialize(ctx);
        int smtp = ctx.getEnvironment().getProperty("hub.mail.smtp-port", Integer.class);
        AtomicBoolean upWhileBeanClosed = new AtomicBoolean();
        // Stands for Camel or a connection pool: it still talks to the service while it closes.
        ctx.registerBean("user", AutoCloseable.class, () -> () -> upWhileBeanClosed.set(accepts(smtp)));
        ctx.refresh();
        ctx.getBean("user");

        ctx.close();

        assertThat(upWhileBeanClosed).isTrue();
        assertThat(accepts(smtp)).as("stopped with the context").isFalse();
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void theEmbeddedPostgresqlTakesTheServerSettingsConfigured() throws Exception {
        Map<String, Object> props = everythingButMailConfigured();
        props.remove("hub.crm.url");
        props.put("hub.mail.host", "mail.example");
        java.nio.file.Path dataDir = java.nio.file.Files.createTempDirectory("embedded-settings-");
        props.put("hub.embedded.data-dir", dataDir.toString());
        props.put("hub.embedded.postgres-settings[work_mem]", "7MB");
        props.put("hub.embedded.postgres-settings[lock_timeout]", "17s");
        GenericApplicationContext ctx = contextWith(props);

        new EmbeddedServicesInitializer().initialize(ctx);
        ctx.refresh();
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(ctx.getEnvironment().getProperty("hub.crm.url"), "postgres", "");
             java.sql.Statement s = c.createStatement();
             java.sql.ResultSet rs = s.executeQuery("select current_setting('work_mem'), current_setting('lock_timeout')")) {
            assertThat(ctx.getEnvironment().getProperty(EmbeddedServicesInitializer.STARTED_PROPERTY)).isEqualTo("postgres");
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("7MB");
            assertThat(rs.getString(2)).isEqualTo("17s");
        } finally {
            ctx.close();
            org.springframework.util.FileSystemUtils.deleteRecursively(dataDir);
        }
    }

    @Test
    void nothingStartsOutsideTheEmbeddedProfile() {
        GenericApplicationContext ctx = contextWith(Map.of("hub.embedded.enabled", "false"));
        new EmbeddedServicesInitializer().initialize(ctx);
        assertThat(ctx.getEnvironment().getProperty(EmbeddedServicesInitializer.STARTED_PROPERTY)).isNull();
        assertThat(ctx.getEnvironment().getProperty("hub.crm.url")).isNull();
    }
}
