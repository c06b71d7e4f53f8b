package io.crmhub.connectors.order;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.billing.BillingClient;
import io.crmhub.connectors.config.HubProperties;
import io.crmhub.connectors.mail.Mailer;
import io.crmhub.connectors.saga.JdbcSagaService;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

import javax.sql.DataSource;
import java.net.URI;
import java.time.Clock;

/** The order saga: the billing client, the mailer, the saga log, and the saga's steps. */
@Configuration(proxyBeanMethods = false)
public class OrderConfiguration {

    @Bean
    public BillingClient billingClient(HubProperties props, ObjectMapper json) {
        HubProperties.Billing b = props.billing();
        return new BillingClient(URI.create(b.url()), b.apiKey(), b.timeout(), b.attempts(), b.initialBackoff(), json);
    }

    @Bean
    public Mailer mailer(HubProperties props) {
        return new Mailer(props.mail());
    }

    /** Camel's Saga EIP runs on it: the routes' {@code .saga()} find it as the only CamelSagaService. */
    @Bean
    public JdbcSagaService sagaService(NamedParameterJdbcTemplate crmJdbc, ObjectMapper json, HubProperties props) {
        HubProperties.Saga s = props.saga();
        return new JdbcSagaService(crmJdbc.getJdbcTemplate(), json, s.timeout(), s.recoveryInterval(), s.lease(), s.retryDelay());
    }

    @Bean
    public OrderSaga orderSaga(NamedParameterJdbcTemplate crmJdbc, TransactionTemplate crmTransactions,
                               @Qualifier("erpDataSource") DataSource erpDataSource, BillingClient billingClient, Mailer mailer,
                               ObjectMapper json, HubProperties props) {
        return new OrderSaga(crmJdbc.getJdbcTemplate(), crmTransactions, erpDataSource, billingClient, mailer, json,
                props.sync().hubUser(), Clock.systemUTC());
    }
}
