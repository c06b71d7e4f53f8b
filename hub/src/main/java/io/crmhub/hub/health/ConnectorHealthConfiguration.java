package io.crmhub.hub.health;

import io.crmhub.connectors.kafka.KafkaBacklog;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.jdbc.DataSourceHealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import javax.sql.DataSource;

/** One health component per connector: crmStore, erp, kafka and mail; the admin client they and the backlog share. */
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

    /** The hub's one admin client on Kafka: its health and its backlog figures. */
    @Bean(destroyMethod = "close")
    public KafkaBacklog kafkaBacklog(@Value("${camel.component.kafka.brokers}") String brokers, BacklogMetricsProperties metrics) {
        return new KafkaBacklog(brokers, metrics.kafkaTimeout());
    }
}
