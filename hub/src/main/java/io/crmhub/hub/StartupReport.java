package io.crmhub.hub;

import io.crmhub.embedded.EmbeddedServicesInitializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

import java.lang.management.ManagementFactory;

/** Tells the operator, once the hub is up, where Hawtio and the API are and how to log in. */
@Component
public class StartupReport implements ApplicationListener<ApplicationReadyEvent> {

    private static final Logger LOG = LoggerFactory.getLogger(StartupReport.class);

    @Override
    public void onApplicationEvent(ApplicationReadyEvent event) {
        Environment env = event.getApplicationContext().getEnvironment();
        String base = "http://localhost:" + env.getProperty("local.server.port", "8080");
        String embedded = env.getProperty(EmbeddedServicesInitializer.STARTED_PROPERTY, "");
        boolean embeddedProfile = env.getProperty("hub.embedded.enabled", Boolean.class, false);
        Runtime rt = Runtime.getRuntime();
        long heapMb = (rt.totalMemory() - rt.freeMemory()) >> 20;
        StringBuilder sb = new StringBuilder("\n\n  CRM Integration Hub is running (started in ")
                .append(String.format("%.1f", event.getTimeTaken().toMillis() / 1000.0)).append(" s, JVM up ")
                .append(String.format("%.1f", ManagementFactory.getRuntimeMXBean().getUptime() / 1000.0))
                .append(" s, heap used ").append(heapMb).append(" MB)\n")
                .append("  Hawtio console : ").append(base).append("/actuator/hawtio/\n")
                .append("  Admin API      : ").append(base).append("/api/docs  (OpenAPI: /api/openapi)\n")
                .append("  Health         : ").append(base).append("/actuator/health\n")
                .append("  Metrics        : ").append(base).append("/actuator/prometheus\n");
        if (embeddedProfile) {
            sb.append("  Log in         : admin / ").append(env.getProperty("hub.security.users[0].password"))
                    .append(" (operate), viewer / ").append(env.getProperty("hub.security.users[1].password"))
                    .append(" (look) - embedded profile defaults, override with HUB_ADMIN_PASSWORD, HUB_VIEWER_PASSWORD\n");
        } else {
            sb.append("  Log in         : a user from hub.security.users\n");
        }
        sb.append("  Embedded       : ").append(embedded.isEmpty() ? "none (all endpoints configured)" : embedded)
                .append(embedded.isEmpty() ? "" : ", data in " + env.getProperty("hub.embedded.data-dir")).append("\n");
        LOG.info(sb.toString());
    }
}
