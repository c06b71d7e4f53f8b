package io.crmhub.hub.health;

import io.crmhub.connectors.saga.JdbcSagaService;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.stereotype.Component;

import java.util.Map;

/**
 * {@code crmhub.sagas{status}}: sagas by status in the saga log. One count query serves every
 * status of a scrape (the counts are kept for a second).
 */
@Component
public class SagaMetrics implements MeterBinder {

    private static final long FRESH_MILLIS = 1000;

    private final JdbcSagaService sagas;
    private Map<String, Long> counts = Map.of();
    private long countedAt;

    public SagaMetrics(JdbcSagaService sagas) {
        this.sagas = sagas;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (JdbcSagaService.Status status : JdbcSagaService.Status.values()) {
            Gauge.builder("crmhub.sagas", () -> counts().getOrDefault(status.name(), 0L))
                    .tag("status", status.name()).description("Sagas by status (saga log in the CRM store)").register(registry);
        }
    }

    private synchronized Map<String, Long> counts() {
        long now = System.currentTimeMillis();
        if (now - countedAt > FRESH_MILLIS) {
            counts = sagas.counts();
            countedAt = now;
        }
        return counts;
    }
}
