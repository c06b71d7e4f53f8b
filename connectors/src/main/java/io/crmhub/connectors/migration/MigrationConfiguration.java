package io.crmhub.connectors.migration;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.config.HubProperties;
import io.crmhub.connectors.crm.WaitingRecords;
import io.crmhub.connectors.mail.Mailer;
import io.crmhub.transformers.mapping.CodeTables;
import io.crmhub.transformers.match.Matcher;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;

import javax.sql.DataSource;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.util.UUID;

/** Legacy migrations: the jobs of {@code migrations/*.yml}, their runs, and the service that runs them. */
@Configuration(proxyBeanMethods = false)
public class MigrationConfiguration {

    @Bean
    public MigrationRuns migrationRuns(NamedParameterJdbcTemplate crmJdbc, ObjectMapper json) {
        return new MigrationRuns(crmJdbc.getJdbcTemplate(), json, nodeName());
    }

    @Bean(destroyMethod = "close")
    public LegacyMigrations legacyMigrations(HubProperties props, MigrationProperties migration, MigrationRuns runs,
                                             NamedParameterJdbcTemplate crmJdbc, PlatformTransactionManager crmTransactionManager,
                                             WaitingRecords waiting, ObjectMapper json, Matcher matcher, CodeTables codeTables,
                                             @Qualifier("erpDataSource") DataSource erpDataSource, Mailer mailer) {
        return new LegacyMigrations(MigrationJob.loadAll(props.configDir()), runs, crmJdbc.getJdbcTemplate(), crmTransactionManager,
                waiting, json, matcher, codeTables, erpDataSource, mailer, migration.lease(), props.sync().clockSkewTolerance(),
                migration.reportBaseUrl(), Clock.systemDefaultZone()); // cron times are the hub's local times
    }

    /** This node's name in run ownership: host and a per-process id, so two hubs on one host differ. */
    public static String nodeName() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "unknown-host";
        }
        return host + "/" + ProcessHandle.current().pid() + "/" + UUID.randomUUID().toString().substring(0, 8);
    }
}
