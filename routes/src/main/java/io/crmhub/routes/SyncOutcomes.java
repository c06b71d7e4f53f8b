package io.crmhub.routes;

import io.crmhub.connectors.erp.ErpWriter;
import io.crmhub.connectors.sync.InboundChanges;
import io.crmhub.connectors.sync.SyncConfiguration;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.stereotype.Component;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

/**
 * Counts what the sync did with each change ({@code hub_sync_changes_total{entity,outcome}}):
 * created, updated, duplicate (a redelivery absorbed), stale (an older version refused), waiting
 * (for its parent), quarantined ...; and what the ERP writer did with CRM changes
 * ({@code hub_sync_erp_writes_total{outcome}}). Operators watch the ratios; tests read the figures.
 */
@Component("syncOutcomes")
public class SyncOutcomes {

    private final Map<String, Map<InboundChanges.Outcome, Counter>> applied = new HashMap<>();
    private final Map<ErpWriter.Outcome, Counter> written = new EnumMap<>(ErpWriter.Outcome.class);

    public SyncOutcomes(MeterRegistry registry) {
        for (String entity : SyncConfiguration.ERP_ENTITIES) {
            Map<InboundChanges.Outcome, Counter> counters = new EnumMap<>(InboundChanges.Outcome.class);
            for (InboundChanges.Outcome o : InboundChanges.Outcome.values()) {
                counters.put(o, Counter.builder("hub.sync.changes").tag("entity", entity).tag("outcome", o.name())
                        .description("Changes the sync received, by what it did with them").register(registry));
            }
            applied.put(entity, counters);
        }
        for (ErpWriter.Outcome o : ErpWriter.Outcome.values()) {
            written.put(o, Counter.builder("hub.sync.erp.writes").tag("outcome", o.name())
                    .description("CRM changes the sync handed to the ERP, by what it did with them").register(registry));
        }
    }

    /** Counts what a batch (or a single change) did and passes the result on. */
    public InboundChanges.Result counted(InboundChanges.Result result) {
        Map<InboundChanges.Outcome, Counter> counters = applied.get(result.entity());
        result.counts().forEach((outcome, n) -> counters.get(outcome).increment(n));
        return result;
    }

    /** Counts what the ERP writer did and passes it on. */
    public ErpWriter.Outcome written(ErpWriter.Outcome outcome) {
        written.get(outcome).increment();
        return outcome;
    }

    /** Counts the changes of a batch of {@code batch} that came from the ERP: all but the {@code toWrite} others. */
    public void notSentBack(int batch, int toWrite) {
        written.get(ErpWriter.Outcome.FROM_ERP).increment(batch - toWrite);
    }

    public double erpWrites(String outcome) {
        return written.get(ErpWriter.Outcome.valueOf(outcome)).count();
    }

    public double count(String entity, String outcome) {
        return applied.get(entity).get(InboundChanges.Outcome.valueOf(outcome)).count();
    }

    /** Account changes with this outcome. */
    public double count(String outcome) {
        return count("account", outcome);
    }
}
