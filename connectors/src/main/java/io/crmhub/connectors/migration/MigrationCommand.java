package io.crmhub.connectors.migration;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.config.MappingConfiguration;
import io.crmhub.connectors.config.MatchingConfiguration;
import io.crmhub.connectors.config.Pools;
import io.crmhub.connectors.crm.CrmStoreConfiguration;
import io.crmhub.connectors.crm.WaitingRecords;
import io.crmhub.transformers.match.Matcher;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Runs one migration job from the command line, in the foreground, against the CRM store (and the
 * ERP database for JDBC steps), without the hub's routes:
 * <pre>
 * java -cp hub.jar -Dloader.main=io.crmhub.connectors.migration.MigrationCommand \
 *      org.springframework.boot.loader.launch.PropertiesLauncher \
 *      --job=legacy-crm [--dry-run] --crm-url=jdbc:postgresql://... --crm-user=crmhub [--config-dir=config]
 * </pre>
 * The password comes from {@code HUB_CRM_PASSWORD} (and {@code HUB_ERP_PASSWORD}), never from the
 * command line. Run it again after a crash: it resumes the run the crash left. Exit code 0 when the
 * run succeeded within the data-quality thresholds, 3 when it succeeded over them, 1 when it
 * stopped or failed, 2 on a usage error.
 */
public final class MigrationCommand {

    private MigrationCommand() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        for (String a : args) {
            if (!a.startsWith("--")) {
                usage("unexpected argument " + a);
            }
            int eq = a.indexOf('=');
            opts.put(eq < 0 ? a.substring(2) : a.substring(2, eq), eq < 0 ? "true" : a.substring(eq + 1));
        }
        String job = opts.get("job");
        String crmUrl = opts.get("crm-url");
        if (job == null || crmUrl == null) {
            usage("--job and --crm-url are required");
        }
        String configDir = opts.getOrDefault("config-dir", "config");
        Duration lease = Duration.parse("PT" + opts.getOrDefault("lease", "60s").toUpperCase());
        ObjectMapper json = new ObjectMapper().registerModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
        try (HikariDataSource crm = pool(crmUrl, opts.getOrDefault("crm-user", "crmhub"), System.getenv("HUB_CRM_PASSWORD"));
             HikariDataSource erp = opts.containsKey("erp-url")
                     ? pool(opts.get("erp-url"), opts.getOrDefault("erp-user", "crmhub"), System.getenv("HUB_ERP_PASSWORD")) : null) {
            CrmStoreConfiguration.migrate(crm);
            JdbcTemplate jdbc = new JdbcTemplate(crm);
            Matcher matcher = new Matcher(MatchingConfiguration.loadRules(configDir));
            MigrationRuns runs = new MigrationRuns(jdbc, json, MigrationConfiguration.nodeName());
            try (LegacyMigrations migrations = new LegacyMigrations(MigrationJob.loadAll(configDir), runs, jdbc,
                    new DataSourceTransactionManager(crm), new WaitingRecords(new NamedParameterJdbcTemplate(crm), json), json,
                    matcher, MappingConfiguration.loadCodeTables(configDir), erp, null, lease, Duration.ofSeconds(5),
                    opts.getOrDefault("report-base-url", "http://localhost:8080/api/migrations"), Clock.systemUTC())) {
                MigrationReport report = migrations.runHere(job, opts.containsKey("dry-run"), "CLI");
                if (report == null) {
                    System.err.println("The run was taken over by another node.");
                    System.exit(1);
                }
                System.out.println(report.text());
                System.exit(!"SUCCEEDED".equals(report.status()) ? 1 : report.scorecardPassed() ? 0 : 3);
            }
        }
    }

    /**
     * The CRM store's pool holds what a run uses at once: two batches read ahead, two written (one
     * of them watching the other's locks from a connection of its own), and one to spare.
     */
    private static HikariDataSource pool(String url, String user, String password) {
        return Pools.hikari("migration-" + (url.contains("postgresql") ? "crm" : "erp"), url, user, password, 6);
    }

    private static void usage(String problem) {
        System.err.println(problem + "\nusage: --job=<name> [--dry-run] --crm-url=<jdbc url> [--crm-user=<user>] "
                + "[--erp-url=<jdbc url> --erp-user=<user>] [--config-dir=config] [--lease=60s]");
        System.exit(2);
    }
}
