package io.crmhub.connectors.erp;

import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.config.HubProperties;
import io.crmhub.connectors.config.Pools;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The legacy ERP's connection pool: any JDBC database (MariaDB in CI, H2 in the demo). */
@Configuration(proxyBeanMethods = false)
public class ErpConfiguration {

    @Bean(name = "erpDataSource", destroyMethod = "close")
    public HikariDataSource erpDataSource(HubProperties props) {
        HubProperties.Erp erp = props.erp();
        HikariDataSource ds = Pools.hikari("erp", erp.url(), erp.username(), erp.password(), erp.poolSize());
        // A legacy database is polled, never waited on forever.
        ds.setConnectionTimeout(erp.connectionTimeout().toMillis());
        return ds;
    }
}
