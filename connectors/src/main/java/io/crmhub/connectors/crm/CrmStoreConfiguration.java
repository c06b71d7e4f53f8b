package io.crmhub.connectors.crm;

import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.config.HubProperties;
import io.crmhub.connectors.config.Pools;
import io.crmhub.connectors.store.Housekeeping;
import io.crmhub.connectors.store.HousekeepingProperties;
import io.crmhub.connectors.store.StoreBacklog;
import org.flywaydb.core.Flyway;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import javax.sql.DataSource;
import java.time.Clock;

/** The CRM store's connection pool, schema migration (Flyway), transactions, housekeeping and backlog. */
@Configuration(proxyBeanMethods = false)
public class CrmStoreConfiguration {

    /** Flyway location of the CRM store's schema. */
    public static final String MIGRATIONS = "classpath:db/crm";

    @Bean(name = "crmDataSource", destroyMethod = "close")
    @Primary
    public HikariDataSource crmDataSource(HubProperties props) {
        HubProperties.Crm crm = props.crm();
        HikariDataSource ds = Pools.hikari("crm", crm.url(), crm.username(), crm.password(), crm.poolSize());
        ds.setConnectionTimeout(crm.connectionTimeout().toMillis());
        migrate(ds);
        return ds;
    }

    /** Brings a CRM store to the current schema; used at start-up and by tests. */
    public static void migrate(DataSource crm) {
        Flyway.configure().dataSource(crm).locations(MIGRATIONS).load().migrate();
    }

    @Bean
    @Primary
    public PlatformTransactionManager crmTransactionManager(DataSource crmDataSource) {
        return new DataSourceTransactionManager(crmDataSource);
    }

    @Bean
    public TransactionTemplate crmTransactions(PlatformTransactionManager crmTransactionManager) {
        return new TransactionTemplate(crmTransactionManager);
    }

    @Bean
    @Primary
    public NamedParameterJdbcTemplate crmJdbc(DataSource crmDataSource) {
        return new NamedParameterJdbcTemplate(crmDataSource);
    }

    @Bean
    public Housekeeping housekeeping(NamedParameterJdbcTemplate crmJdbc, HousekeepingProperties housekeeping) {
        return new Housekeeping(crmJdbc, housekeeping, Clock.systemUTC());
    }

    @Bean
    public StoreBacklog storeBacklog(NamedParameterJdbcTemplate crmJdbc) {
        return new StoreBacklog(crmJdbc.getJdbcTemplate());
    }
}
