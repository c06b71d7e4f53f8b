package io.crmhub.hub.health;

import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.jdbc.DataSourceHealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import javax.sql.DataSource;

/** One health component per connector: crmStore, erp, kafka and mail. */
@Configuration(proxyBeanMethods = false)
public class ConnectorHealthConfiguration {

    @Bean
    public HealthIndicator crmStoreHealthIndicator(@Qualifier("crmDataSource") DataSource crm) {
        return new DataSourceHealthIndicator(crm, "select 1");
    }

    @Bean
    public HealthIndicator erpHealthIndicator(@Qualifier("erpDataSource") DataSource erp) {
        return new DataSourceHealthIndicator(erp, "select 1");
    }
}
