package io.crmhub.hub;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.autoconfigure.flyway.FlywayAutoConfiguration;
import org.springframework.boot.autoconfigure.sql.init.SqlInitializationAutoConfiguration;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * The CRM Integration Hub. Without configuration it runs on embedded services (profile
 * {@code embedded}); with {@code SPRING_PROFILES_ACTIVE=prod} every endpoint and secret must be
 * given.
 */
// The hub owns two data sources (CRM store, ERP) and migrates the CRM store itself.
@SpringBootApplication(scanBasePackages = "io.crmhub",
        exclude = {DataSourceAutoConfiguration.class, FlywayAutoConfiguration.class,
                SqlInitializationAutoConfiguration.class})
@ConfigurationPropertiesScan("io.crmhub")
public class HubApplication {

    public static void main(String[] args) {
        SpringApplication.run(HubApplication.class, args);
    }
}
