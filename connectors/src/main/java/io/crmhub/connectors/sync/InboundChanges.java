package io.crmhub.connectors.sync;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.crm.ConcurrentDuplicateException;
import io.crmhub.connectors.crm.CrmWriter;
import io.crmhub.connectors.crm.CrmWriter.Applied;
import io.crmhub.connectors.crm.WaitingRecords;
import io.crmhub.connectors.crm.WaitingRecords.Waiting;
import io.crmhub.connectors.store.QuarantineStore;
import io.crmhub.transformers.mapping.MappedRecord;
import io.crmhub.transformers.mapping.RecordMapper;
import io.crmhub.transformers.model.SourceRecord;
import io.crmhub.transformers.validation.ReasonCode;
import io.crmhub.transformers.validation.Violation;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Changes of one entity from one outside system on their way into the CRM: mapped and validated
 * by the configured mapping, quarantined with every reason when invalid, otherwise applied by the
 * entity's {@link CrmWriter}. A batch is one CRM transaction: its quarantine entries, its writes
 * and its version keys commit together or not at all.
 */
public class InboundChanges {

    /** What a batch did: how many records had each outcome. */
    public record Result(String entity, Map<Outcome, Integer> counts) {

        public int count(Outcome outcome) {
            return counts.getOrDefault(outcome, 0);
        }
    }

    /** The writer's outcomes, and quarantine. */
    public enum Outcome {
        CREATED, UPDATED, DUPLICATE, STALE, UNCHANGED, CONFLICT, WAITING, LINKED, QUARANTINED;

        static Outcome of(CrmWriter.Outcome o) {
            return valueOf(o.name());
        }
    }

    private final RecordMapper mapper;
    private final CrmWriter writer;
    private final QuarantineStore quarantine;
    private final WaitingRecords waiting;
    private final TransactionTemplate tx;
    private final ObjectMapper json;
    private final Duration parentWait;
    private final Clock clock;
    private final String entity;

    public InboundChanges(RecordMapper mapper, CrmWriter writer, QuarantineStore quarantine, WaitingRecords waiting,
                          TransactionTemplate crmTransactions, ObjectMapper json, Duration parentWait, Clock clock) {
        this.mapper = mapper;
        this.writer = writer;
        this.quarantine = quarantine;
        this.waiting = waiting;
        this.tx = crmTransactions;
        this.json = json;
        this.parentWait = parentWait;
        this.clock = clock;
        this.entity = mapper.mapping().entity();
    }

    public String entity() {
        return entity;
    }

    /** Applies one change (the path of a record whose batch failed, so that it fails alone). */
    public Result apply(SourceRecord record) {
        return applyAll(List.of(record));
    }

    /** Applies changes as they travel on Kafka (JSON source records) in one transaction. */
    public Result applyJson(List<String> payloads) {
        List<SourceRecord> records = new ArrayList<>(payloads.size());
        for (String p : payloads) {
            try {
                records.add(json.readValue(p, SourceRecord.class));
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("unreadable " + entity + " change: " + e.getOriginalMessage(), e);
            }
        }
        return applyAll(records);
    }

    public Result applyAll(List<SourceRecord> records) {
        return ConcurrentDuplicateException.retrying(() -> tx.execute(status -> {
            Map<Outcome, Integer> counts = new EnumMap<>(Outcome.class);
            applyWithOutcomes(records, counts);
            return new Result(entity, counts);
        }));
    }

    /**
     * Applies records that were waiting for their parent and have it now, and quarantines those
     * that waited longer than allowed. Several hub instances may run this at the same time.
     */
    public Result retryWaiting(int max) {
        return ConcurrentDuplicateException.retrying(() -> tx.execute(status -> {
            Map<Outcome, Integer> counts = new EnumMap<>(Outcome.class);
            List<Waiting> ready = waiting.claimReady(entity, max);
            if (!ready.isEmpty()) {
                List<SourceRecord> records = ready.stream().map(Waiting::record).toList();
                // Each is applied, quarantined or parked again (for a second missing parent);
                // parking again finds the same key and keeps it.
                List<SourceRecord> stillWaiting = applyWithOutcomes(records, counts);
                List<SourceRecord> done = new ArrayList<>(records);
                done.removeAll(stillWaiting);
                waiting.remove(done);
            }
            List<Waiting> expired = waiting.claimExpired(entity, clock.instant().minus(parentWait), max);
            for (Waiting w : expired) {
                quarantine.add(w.record().versionKey(), w.record().system(), w.record().entity(), w.record().externalId(),
                        List.of(new Violation(ReasonCode.MISSING_PARENT, w.parentType().toLowerCase(java.util.Locale.ROOT),
                                "no " + w.parentType().toLowerCase(java.util.Locale.ROOT) + " '" + w.parentExternalId()
                                        + "' arrived within " + parentWait + " (waiting since " + w.since() + ")")),
                        toJson(w.record()));
                counts.merge(Outcome.QUARANTINED, 1, Integer::sum);
            }
            waiting.remove(expired.stream().map(Waiting::record).toList());
            return new Result(entity, counts);
        }));
    }

    /** Returns the records that wait for a parent. */
    private List<SourceRecord> applyWithOutcomes(List<SourceRecord> records, Map<Outcome, Integer> counts) {
        List<MappedRecord> valid = new ArrayList<>(records.size());
        for (SourceRecord r : records) {
            MappedRecord m = mapper.map(r);
            if (m.valid()) {
                valid.add(m);
            } else {
                quarantine.reject(m);
                counts.merge(Outcome.QUARANTINED, 1, Integer::sum);
            }
        }
        List<SourceRecord> parked = new ArrayList<>();
        List<Applied> applied = writer.applyInTransaction(valid);
        for (int i = 0; i < applied.size(); i++) {
            counts.merge(Outcome.of(applied.get(i).outcome()), 1, Integer::sum);
            if (applied.get(i).outcome() == CrmWriter.Outcome.WAITING) {
                parked.add(valid.get(i).source());
            }
        }
        return parked;
    }

    private String toJson(SourceRecord r) {
        try {
            return json.writeValueAsString(r);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + entity + " change", e);
        }
    }
}
