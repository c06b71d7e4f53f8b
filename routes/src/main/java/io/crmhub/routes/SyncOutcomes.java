package io.crmhub.routes;

import io.crmhub.connectors.crm.AccountWriter;
import io.crmhub.connectors.erp.ErpAccountWriter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.stereotype.Component;

import java.util.EnumMap;
import java.util.Map;

/**
 * Counts what the sync did with each change ({@code hub_sync_changes_total{entity,outcome}}):
 * created, updated, duplicate (a redelivery absorbed), stale (an older version refused),
 * quarantined. Operators watch the ratios; tests read the figures.
 */
@Component("syncOutcomes")
public class SyncOutcomes {

    private final Map<AccountWriter.Outcome, Counter> applied = new EnumMap<>(AccountWriter.Outcome.class);
    private final Counter quarantined;
    private final Map<ErpAccountWriter.Outcome, Counter> written = new EnumMap<>(ErpAccountWriter.Outcome.class);

    public SyncOutcomes(MeterRegistry registry) {
        for (AccountWriter.Outcome o : AccountWriter.Outcome.values()) {
            applied.put(o, counter(registry, o.name()));
        }
        this.quarantined = counter(registry, "QUARANTINED");
        for (ErpAccountWriter.Outcome o : ErpAccountWriter.Outcome.values()) {
            written.put(o, Counter.builder("hub.sync.erp.writes").tag("entity", "account").tag("outcome", o.name())
                    .description("CRM changes the sync handed to the ERP, by what it did with them").register(registry));
        }
    }

    /** Counts what the ERP writer did and passes it on. */
    public ErpAccountWriter.Outcome written(ErpAccountWriter.Outcome outcome) {
        written.get(outcome).increment();
        return outcome;
    }

    public double erpWrites(String outcome) {
        return written.get(ErpAccountWriter.Outcome.valueOf(outcome)).count();
    }

    private static Counter counter(MeterRegistry registry, String outcome) {
        return Counter.builder("hub.sync.changes").tag("entity", "account").tag("outcome", outcome)
                .description("Changes the sync received, by what it did with them").register(registry);
    }

    /** Counts and passes the result on. */
    public AccountWriter.Applied applied(AccountWriter.Applied result) {
        applied.get(result.outcome()).increment();
        return result;
    }

    /** Counts a quarantined record and passes its quarantine id on. */
    public long quarantined(long quarantineId) {
        quarantined.increment();
        return quarantineId;
    }

    public double count(String outcome) {
        return "QUARANTINED".equals(outcome) ? quarantined.count() : applied.get(AccountWriter.Outcome.valueOf(outcome)).count();
    }
}
