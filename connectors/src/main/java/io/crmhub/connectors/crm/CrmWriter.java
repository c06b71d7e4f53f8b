package io.crmhub.connectors.crm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.crm.BulkSql.Col;
import io.crmhub.connectors.crm.CrmEntity.Column;
import io.crmhub.transformers.mapping.MappedRecord;
import io.crmhub.transformers.match.Deduplicator.Decision;
import io.crmhub.transformers.match.Match;
import io.crmhub.transformers.model.SourceRecord;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * Applies changes from an outside system to one CRM entity, each version once, a batch at a time.
 * In one transaction, with a fixed number of statements whatever the batch size:
 * <ol>
 *   <li>pointers to other records (a contact's account) are resolved through the cross-reference;
 *   a record whose parent is not in the CRM yet waits ({@link WaitingRecords}), it is never
 *   written as an orphan nor given a placeholder parent;</li>
 *   <li>each version's key is recorded (a redelivery finds it and does nothing);</li>
 *   <li>the cross-reference is locked and resolved, so an external id always lands on the same CRM
 *   record; a version older than the one applied is refused;</li>
 *   <li>changed fields are written by the field-level system of record: source-owned fields
 *   always, CRM-owned fields only on creation, shared fields by last writer with a clock-skew
 *   tolerance, inside which the field goes to the review list ({@code sync_conflict});</li>
 *   <li>detail rows (an order's lines) are replaced when they differ, and an outbox event is
 *   written for every created or changed record.</li>
 * </ol>
 */
public class CrmWriter {

    /** What applying a change did. */
    public enum Outcome {
        CREATED, UPDATED,
        /** A redelivery of a change already applied. */
        DUPLICATE,
        /** An older version than the one stored (or one overtaken by a later version in the same batch). */
        STALE,
        /** A newer version with the values the CRM already holds: typically the echo of the hub's own write. */
        UNCHANGED,
        /** At least one field went to the review list (see {@code sync_conflict}); the others were applied. */
        CONFLICT,
        /** The record points to a parent the CRM does not have yet: it waits and is applied when the parent arrives. */
        WAITING,
        /**
         * A new external id for a party the CRM already holds (a sure duplicate): the id now points
         * to that record as a secondary id, and the change filled only the fields it lacked.
         * Nothing was created.
         */
        LINKED
    }

    /** The outcomes that wrote the record's values (the others at most its cross-reference). */
    private static final Set<Outcome> WRITES_RECORD = java.util.EnumSet.of(Outcome.CREATED, Outcome.UPDATED, Outcome.CONFLICT,
            Outcome.LINKED);

    /** The CRM record concerned (null for a duplicate or a waiting record) and what happened to it. */
    public record Applied(UUID crmId, Outcome outcome) {
    }

    private static final BulkSql INSERT_XREF = BulkSql.insert("xref", List.of(new Col("entity_type", "text"),
            new Col("system", "text"), new Col("external_id", "text"), new Col("crm_id", "uuid"),
            new Col("source_changed_at", "timestamptz"), new Col("secondary", "boolean")));
    private static final BulkSql UPDATE_XREF = BulkSql.update("xref", List.of(new Col("source_changed_at", "timestamptz")),
            "updated_at = now()", List.of(new Col("entity_type", "text"), new Col("system", "text"), new Col("external_id", "text")));
    private static final BulkSql INSERT_CONFLICT = BulkSql.insert("sync_conflict", List.of(new Col("entity_type", "text"),
            new Col("crm_id", "uuid"), new Col("field", "text"), new Col("crm_value", "text"),
            new Col("crm_edited_at", "timestamptz"), new Col("source", "text"), new Col("source_value", "text"),
            new Col("source_changed_at", "timestamptz")));
    private static final BulkSql INSERT_OUTBOX = BulkSql.insert("outbox_event", List.of(new Col("aggregate_type", "text"),
            new Col("aggregate_id", "uuid"), new Col("event_type", "text"), new Col("origin", "text"), new Col("payload", "jsonb")));

    private final CrmEntity entity;
    private final String consumer;
    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final WaitingRecords waiting;
    private final ObjectMapper json;
    private final Map<String, String> references;
    private final Set<String> crmOwned;
    private final Set<String> sourceOwned;
    private final Duration skewTolerance;
    private final CrmDuplicates duplicates;
    private final Set<String> matchFields;
    private final BulkSql insert;
    private final BulkSql update;
    private final BulkSql insertLines;
    private final boolean versionKeys;

    /**
     * @param references    fields that point to another entity, by field: that entity ({@code account})
     * @param crmOwned      fields the CRM owns: set when a source creates the record, never overwritten after
     * @param sourceOwned   fields the source owns: a source change always wins
     * @param skewTolerance how close a source change and a CRM edit of the same field may be before
     *                      neither is trusted to be the later one: the field then goes to review
     */
    public CrmWriter(CrmEntity entity, JdbcTemplate crmJdbc, TransactionTemplate crmTransactions, WaitingRecords waiting,
                     ObjectMapper json, Map<String, String> references, Set<String> crmOwned, Set<String> sourceOwned,
                     Duration skewTolerance) {
        this(entity, crmJdbc, crmTransactions, waiting, json, references, crmOwned, sourceOwned, skewTolerance, null);
    }

    /**
     * @param duplicates the duplicate check every record passes before it is created (null: none;
     *                   entities it does not check are created by cross-reference alone)
     */
    public CrmWriter(CrmEntity entity, JdbcTemplate crmJdbc, TransactionTemplate crmTransactions, WaitingRecords waiting,
                     ObjectMapper json, Map<String, String> references, Set<String> crmOwned, Set<String> sourceOwned,
                     Duration skewTolerance, CrmDuplicates duplicates) {
        this(entity, crmJdbc, crmTransactions, waiting, json, references, crmOwned, sourceOwned, skewTolerance, duplicates, true);
    }

    /**
     * @param versionKeys whether each applied version's key is stored ({@code processed_message}),
     *                    so that a redelivery is told apart as {@code DUPLICATE}. A writer whose
     *                    batches are never delivered twice (a migration: a batch commits with its
     *                    run's progress, and a resumed run reads on after it) need not: a version
     *                    seen before is still refused, as {@code STALE}, by the cross-reference's
     *                    source version; versions repeated within a batch are still found
     */
    public CrmWriter(CrmEntity entity, JdbcTemplate crmJdbc, TransactionTemplate crmTransactions, WaitingRecords waiting,
                     ObjectMapper json, Map<String, String> references, Set<String> crmOwned, Set<String> sourceOwned,
                     Duration skewTolerance, CrmDuplicates duplicates, boolean versionKeys) {
        this.versionKeys = versionKeys;
        this.duplicates = duplicates != null && duplicates.checks(entity) ? duplicates : null;
        this.matchFields = this.duplicates == null ? Set.of() : CrmDuplicates.matchFields(entity);
        this.entity = entity;
        this.consumer = entity.type().toLowerCase(Locale.ROOT) + "-sync";
        this.jdbc = crmJdbc;
        this.tx = crmTransactions;
        this.waiting = waiting;
        this.json = json;
        references.keySet().forEach(entity::column);
        crmOwned.forEach(entity::column);
        sourceOwned.stream().filter(f -> !"lines".equals(f)).forEach(entity::column);
        this.references = Map.copyOf(references);
        this.crmOwned = Set.copyOf(crmOwned);
        this.sourceOwned = Set.copyOf(sourceOwned);
        this.skewTolerance = skewTolerance;

        List<Col> insertCols = new ArrayList<>(List.of(new Col("id", "uuid")));
        List<Col> setCols = new ArrayList<>();
        entity.fields().forEach((field, c) -> {
            insertCols.add(new Col(c.name(), c.sqlType(), entity.defaults().get(field)));
            setCols.add(new Col(c.name(), c.sqlType()));
        });
        this.insert = BulkSql.insert(entity.table(), insertCols);
        this.update = BulkSql.update(entity.table(), setCols, "updated_at = now(), version = t.version + 1",
                List.of(new Col("id", "uuid")));
        if (entity.lines() != null) {
            List<Col> lineCols = new ArrayList<>(List.of(new Col(entity.lines().parentColumn(), "uuid")));
            entity.lines().fields().values().forEach(c -> lineCols.add(new Col(c.name(), c.sqlType())));
            this.insertLines = BulkSql.insert(entity.lines().table(), lineCols);
        } else {
            this.insertLines = null;
        }
    }

    public Applied apply(MappedRecord record) {
        return applyAll(List.of(record)).get(0);
    }

    /** Applies the records in one transaction; the results are in the records' order. */
    public List<Applied> applyAll(List<MappedRecord> records) {
        return ConcurrentDuplicateException.retrying(() -> tx.execute(status -> applyInTransaction(records)));
    }

    /**
     * As {@link #applyAll}, inside the caller's CRM transaction. The caller tries its transaction
     * again when it ends in {@link ConcurrentDuplicateException}.
     */
    public List<Applied> applyInTransaction(List<MappedRecord> records) {
        return applyInTransaction(records, null, (Before) null).applied();
    }

    /** What a batch's transaction did: each record's outcome, and what it did to the duplicate check's index. */
    public record Batch(List<Applied> applied, CrmDuplicates.Indexed indexed) {
    }

    /**
     * A batch's reads done ahead of its transaction, outside any, while the writer's previous
     * batch is still being written: its records' parents, and the duplicate check of the records
     * it would create (those without a cross-reference yet). Nothing is locked or written.
     *
     * @param creates the version keys of the records the check was made for, in the order the
     *                transaction creates them
     */
    public record Ahead(Map<String, Map<String, String>> parents, List<String> creates, List<UUID> ids,
                        List<CrmDuplicates.Subject> subjects, CrmDuplicates.Checked checked) {
    }

    /**
     * Reads ahead for {@code records} what their transaction would read first (see {@link Ahead}),
     * so that a writer can check one batch while it writes the one before. Call it outside any
     * transaction: it reads what is committed.
     */
    public Ahead readAhead(List<MappedRecord> records) {
        requireValid(records);
        if (records.isEmpty()) {
            return null;
        }
        Map<String, Map<String, String>> parents = parentIds(records);
        if (duplicates == null) {
            return new Ahead(parents, null, null, null, null);
        }
        Applied[] unused = new Applied[records.size()];
        List<Change> ready = changes(records, parents, null, unused);
        List<Change> latest = latestPerRecord(List.copyOf(firstPerVersion(ready, unused).values()), unused);
        if (latest.isEmpty()) {
            return new Ahead(parents, List.of(), null, null, null);
        }
        // what the transaction will lock, read as committed now
        Map<String, Xref> known = xrefs(latest.get(0).system, latest, false);
        List<Change> creates = latest.stream().filter(c -> !known.containsKey(c.externalId)).toList();
        List<CrmDuplicates.Subject> subjects = new ArrayList<>(creates.size());
        List<UUID> ids = new ArrayList<>(creates.size());
        for (Change c : creates) {
            UUID id = CrmIds.next();
            ids.add(id);
            subjects.add(duplicates.subject(entity, id, c.values));
        }
        CrmDuplicates.Checked checked = subjects.isEmpty() ? null : duplicates.checkAhead(entity, subjects);
        return new Ahead(parents, creates.stream().map(c -> c.source.versionKey()).toList(), ids, subjects, checked);
    }

    /**
     * As {@link #applyInTransaction(List)}, with what was {@linkplain #readAhead read ahead} for
     * the batch (null: nothing), and what the writer's previous transaction indexed (null: none
     * ran while this batch was read ahead). The duplicate check read ahead is used if the
     * transaction creates exactly the records it was made for, brought up to the previous
     * transaction's commit: it then decides as a check made here would. Otherwise (a record
     * another writer created meanwhile, say) the check is made again here.
     */
    public Batch applyInTransaction(List<MappedRecord> records, Ahead ahead, CrmDuplicates.Indexed previous) {
        return applyInTransaction(records, ahead, previous == null ? null : new Before(List.of(previous), null));
    }

    /**
     * The writer's transactions before this one that a check read ahead may not have seen: those
     * that committed, in their order, and the one still writing beside this transaction (null:
     * none), whose commit {@code beside} awaits and returns.
     */
    public record Before(List<CrmDuplicates.Indexed> committed, java.util.function.Supplier<Batch> beside) {
    }

    /**
     * This batch depends on the writer's transaction beside it: its check's decisions, or a record
     * both write, would not be what they are after that transaction's commit. Nothing of this
     * transaction may stay: the caller rolls it back, and applies the batch again once the other
     * committed.
     */
    public static final class DependsOnBatchBeside extends RuntimeException {

        public DependsOnBatchBeside(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * As {@link #applyInTransaction(List)}, with what was {@linkplain #readAhead read ahead} for
     * the batch, and the writer's transactions before it ({@code before}: null when none ran while
     * the batch was read ahead). With one still writing beside it ({@link Before#beside}), this
     * transaction writes meanwhile, as if that one had committed first, and before its commit turn
     * awaits it and makes sure it does not depend on it: nothing the other wrote changes this
     * one's decisions ({@link CrmDuplicates#after}), and no record is written by both; else it
     * throws {@link DependsOnBatchBeside}. Its commit must come after the other's.
     */
    public Batch applyInTransaction(List<MappedRecord> records, Ahead ahead, Before before) {
        requireValid(records);
        if (records.isEmpty()) {
            return new Batch(List.of(), CrmDuplicates.Indexed.NOTHING);
        }
        Applied[] out = new Applied[records.size()];
        List<Change> ready = resolveParents(records, out, ahead == null ? null : ahead.parents());
        List<Change> fresh = recordKeys(ready, out);
        List<Change> latest = latestPerRecord(fresh, out);
        if (latest.isEmpty()) {
            return new Batch(List.of(out), CrmDuplicates.Indexed.NOTHING);
        }
        String system = latest.get(0).system;
        if (latest.stream().anyMatch(c -> !c.system.equals(system))) {
            throw new IllegalArgumentException("a batch holds the changes of one source system");
        }
        Map<String, Xref> xrefs = xrefs(system, latest, true);
        List<Change> creates = new ArrayList<>();
        List<Change> updates = new ArrayList<>();
        for (Change c : latest) {
            Xref x = xrefs.get(c.externalId);
            if (x == null) {
                creates.add(c);
            } else if (x.changedAt != null && c.changedAt != null && !c.changedAt.isAfter(x.changedAt)) {
                out[c.index] = new Applied(x.crmId, Outcome.STALE);
            } else {
                c.crmId = x.crmId;
                // a duplicate inside the source system only fills what the CRM record lacks
                c.fillOnly = x.secondary;
                updates.add(c);
            }
        }
        List<CrmDuplicates.Indexed> committed = before == null ? null : before.committed();
        CrmDuplicates.Checked checked = duplicates == null ? null : checkedAhead(creates, ahead, committed);
        boolean checkedAhead = checked != null;
        if (duplicates != null && checked == null) {
            if (before != null && before.beside() != null && !creates.isEmpty()) {
                throw new DependsOnBatchBeside("its duplicate check is made in its transaction, which does not see the batch beside it");
            }
            checked = checkDuplicates(creates);
        }
        List<Change> links = new ArrayList<>();
        if (checked != null) {
            // sure duplicates are linked instead of created
            creates.removeIf(c -> c.linked && links.add(c));
        }
        update(system, updates, out);
        create(system, creates, out);
        link(system, links, out);
        CrmDuplicates.Trail trail = new CrmDuplicates.Trail();
        if (duplicates != null) {
            afterWrites(system, updates, creates, links, checked, checkedAhead ? ahead.subjects() : null,
                    checkedAhead ? committed : null, before, trail, out);
        } else if (before != null && before.beside() != null) {
            besideAwaited(before, updates, links);
        }
        return new Batch(List.of(out), trail.indexed());
    }

    private static void requireValid(List<MappedRecord> records) {
        for (MappedRecord r : records) {
            if (!r.valid()) {
                throw new IllegalArgumentException("invalid record must go to quarantine, not to the CRM: " + r.violations());
            }
        }
    }

    /**
     * The decisions of the check read ahead on the records about to be created (see
     * {@link #checkDuplicates}), brought up to the writer's previous transaction if it committed
     * after the check read the store ({@link CrmDuplicates#after}); null if the check was made for
     * other records than those this transaction creates, or cannot be brought up.
     */
    private CrmDuplicates.Checked checkedAhead(List<Change> creates, Ahead ahead, List<CrmDuplicates.Indexed> previous) {
        if (ahead == null || ahead.creates() == null || ahead.creates().size() != creates.size() || creates.isEmpty()) {
            return null;
        }
        for (int i = 0; i < creates.size(); i++) {
            if (!creates.get(i).source.versionKey().equals(ahead.creates().get(i))) {
                return null;
            }
        }
        CrmDuplicates.Checked checked = previous == null ? ahead.checked() : duplicates.after(previous, ahead.subjects(), ahead.checked());
        if (checked == null) {
            return null;
        }
        for (int i = 0; i < creates.size(); i++) {
            creates.get(i).crmId = ahead.ids().get(i);
            creates.get(i).subject = ahead.subjects().get(i);
        }
        return decided(creates, checked);
    }

    /**
     * Runs the duplicate check on the records about to be created: a sure duplicate is marked
     * {@code linked}, with the id of the record it duplicates; a possible one keeps its candidates,
     * to be created and put on the review list with its evidence.
     */
    private CrmDuplicates.Checked checkDuplicates(List<Change> creates) {
        if (creates.isEmpty()) {
            return new CrmDuplicates.Checked(List.of(), Map.of(), 0);
        }
        List<CrmDuplicates.Subject> subjects = new ArrayList<>(creates.size());
        for (Change c : creates) {
            c.crmId = CrmIds.next();
            c.subject = duplicates.subject(entity, c.crmId, c.values);
            subjects.add(c.subject);
        }
        return decided(creates, duplicates.check(entity, subjects));
    }

    private static CrmDuplicates.Checked decided(List<Change> creates, CrmDuplicates.Checked checked) {
        for (int i = 0; i < creates.size(); i++) {
            Change c = creates.get(i);
            Decision d = checked.decisions().get(i);
            if (d.kind() == Decision.Kind.LINK) {
                c.crmId = UUID.fromString(d.best().b());
                c.linked = true;
            } else {
                c.possibleDuplicates = d.candidates();
            }
        }
        return checked;
    }

    /**
     * Links sure duplicates: their external id points to the existing record as a secondary id,
     * and their values, now and later, only fill the fields it lacks.
     */
    private void link(String system, List<Change> links, Applied[] out) {
        if (links.isEmpty()) {
            return;
        }
        List<Object[]> xrefs = new ArrayList<>(links.size());
        for (Change c : links) {
            // The existing record keeps its values; the newly linked one only fills its gaps.
            c.fillOnly = true;
            xrefs.add(new Object[]{entity.type(), system, c.externalId, c.crmId, null, true});
        }
        INSERT_XREF.execute(jdbc, xrefs);
        update(system, links, out);
        for (Change c : links) {
            out[c.index] = new Applied(c.crmId, Outcome.LINKED);
        }
    }

    /**
     * Keeps the blocking keys current, proposes the possible duplicates for review, and confirms
     * that no other writer created one of the new records meanwhile.
     */
    private void afterWrites(String system, List<Change> updates, List<Change> creates, List<Change> links,
                             CrmDuplicates.Checked checked, List<CrmDuplicates.Subject> checkedAhead,
                             List<CrmDuplicates.Indexed> previous, Before before, CrmDuplicates.Trail trail, Applied[] out) {
        List<CrmDuplicates.Subject> created = new ArrayList<>(creates.size());
        List<Match> proposals = new ArrayList<>();
        for (Change c : creates) {
            created.add(c.subject);
            proposals.addAll(c.possibleDuplicates);
        }
        duplicates.indexNew(entity, created, trail);
        duplicates.propose(entity, proposals, system);
        if (before != null && before.beside() != null) {
            // from here on this transaction reads what the one beside it committed
            CrmDuplicates.Indexed beside = besideAwaited(before, updates, links).indexed();
            if (checkedAhead != null && duplicates.after(List.of(beside), checkedAhead, checked) != checked) {
                throw new DependsOnBatchBeside("the batch beside it indexed records its duplicate check would have compared");
            }
            if (previous != null) {
                previous = new ArrayList<>(previous);
                previous.add(beside);
            }
        }
        // Only a change the duplicate check can see moves keys or decisions: new credit terms or a
        // new status (most of a running sync's updates) leave both as they are.
        Set<UUID> changed = new HashSet<>();
        java.util.stream.Stream.concat(updates.stream(), links.stream()).filter(c -> c.matchChanged).forEach(c -> changed.add(c.crmId));
        duplicates.reindexAndRecheck(entity, changed, system, trail);
        Set<UUID> ours = new HashSet<>(changed);
        creates.forEach(c -> ours.add(c.crmId));
        duplicates.confirm(entity, checked, created, ours, system, previous, trail);
    }

    /**
     * Awaits the commit of the transaction beside this one; throws {@link DependsOnBatchBeside}
     * when it wrote a record this one read to update or link to: this one read it before.
     */
    private static Batch besideAwaited(Before before, List<Change> updates, List<Change> links) {
        Batch beside = before.beside().get();
        Set<UUID> written = new HashSet<>();
        beside.applied().forEach(a -> {
            if (a.crmId() != null && WRITES_RECORD.contains(a.outcome())) {
                written.add(a.crmId());
            }
        });
        if (java.util.stream.Stream.concat(updates.stream(), links.stream()).anyMatch(c -> written.contains(c.crmId))) {
            throw new DependsOnBatchBeside("the batch beside it wrote a record it changes");
        }
        return beside;
    }

    /** Resolves pointer fields to CRM ids; a record with an unknown parent waits. */
    private List<Change> resolveParents(List<MappedRecord> records, Applied[] out, Map<String, Map<String, String>> parents) {
        return changes(records, parents == null ? parentIds(records) : parents, waiting, out);
    }

    /** The CRM ids of the records' parents, by pointer field and the parent's external id. */
    private Map<String, Map<String, String>> parentIds(List<MappedRecord> records) {
        Map<String, Map<String, String>> resolved = new HashMap<>();
        references.forEach((field, parent) -> {
            Set<String> keys = new HashSet<>();
            records.forEach(r -> keys.add(r.text(field)));
            keys.remove(null);
            Map<String, String> ids = new HashMap<>();
            if (!keys.isEmpty()) {
                // One probe of the primary key per key (limit 1: never flattened into a join that
                // scans the table), whatever the statistics of a table growing fast say.
                BulkSql.lookup(jdbc, """
                        select k, x.crm_id::text from unnest(?) k cross join lateral (
                          select crm_id from xref where entity_type = ? and system = ? and external_id = k limit 1) x""",
                        rs -> {
                            ids.put(rs.getString(1), rs.getString(2));
                        }, keys.toArray(String[]::new), parent.toUpperCase(Locale.ROOT), system(records.get(0).source()));
            }
            resolved.put(field, ids);
        });
        return resolved;
    }

    /**
     * The records as changes, their pointers resolved; a record whose parent is not in the CRM
     * waits ({@code park}: null when only reading ahead).
     */
    private List<Change> changes(List<MappedRecord> records, Map<String, Map<String, String>> resolved, WaitingRecords park,
                                 Applied[] out) {
        List<Change> ready = new ArrayList<>(records.size());
        for (int i = 0; i < records.size(); i++) {
            MappedRecord r = records.get(i);
            Map<String, String> values = canonical(r.values());
            String missing = null;
            for (Map.Entry<String, String> ref : references.entrySet()) {
                String key = values.get(ref.getKey());
                String crmId = key == null ? null : resolved.get(ref.getKey()).get(key);
                if (key != null && crmId == null) {
                    missing = ref.getKey();
                    if (park != null) {
                        park.park(r.source(), ref.getValue(), key);
                    }
                    break;
                }
                values.put(ref.getKey(), crmId);
            }
            if (missing != null) {
                out[i] = new Applied(null, Outcome.WAITING);
                continue;
            }
            List<Map<String, String>> lines = r.lines().stream().map(CrmWriter::canonical).toList();
            ready.add(new Change(i, r.source(), values, lines));
        }
        return ready;
    }

    /** Records each version key; a key seen before (in the store or earlier in the batch) is a duplicate. */
    private List<Change> recordKeys(List<Change> ready, Applied[] out) {
        if (ready.isEmpty()) {
            return ready;
        }
        Map<String, Change> firstByKey = firstPerVersion(ready, out);
        if (!versionKeys) {
            return List.copyOf(firstByKey.values());
        }
        Set<String> inserted = new HashSet<>(jdbc.queryForList("""
                insert into processed_message (consumer, message_key) select ?, unnest(?)
                on conflict do nothing returning message_key""", String.class, consumer,
                firstByKey.keySet().toArray(String[]::new)));
        List<Change> fresh = new ArrayList<>(inserted.size());
        firstByKey.forEach((key, c) -> {
            if (inserted.contains(key)) {
                fresh.add(c);
            } else {
                out[c.index] = new Applied(null, Outcome.DUPLICATE);
            }
        });
        return fresh;
    }

    /** Each version once, by its key; a version repeated in the batch is a duplicate. */
    private static Map<String, Change> firstPerVersion(List<Change> ready, Applied[] out) {
        Map<String, Change> firstByKey = new LinkedHashMap<>();
        for (Change c : ready) {
            if (firstByKey.putIfAbsent(c.source.versionKey(), c) != null) {
                out[c.index] = new Applied(null, Outcome.DUPLICATE);
            }
        }
        return firstByKey;
    }

    /** Of several versions of one record in the batch, only the latest is applied; the others are stale. */
    private static List<Change> latestPerRecord(List<Change> fresh, Applied[] out) {
        Map<String, Change> latest = new LinkedHashMap<>();
        for (Change c : fresh) {
            Change seen = latest.get(c.externalId);
            if (seen == null || (c.changedAt != null && (seen.changedAt == null || !c.changedAt.isBefore(seen.changedAt)))) {
                if (seen != null) {
                    out[seen.index] = new Applied(null, Outcome.STALE);
                }
                latest.put(c.externalId, c);
            } else {
                out[c.index] = new Applied(null, Outcome.STALE);
            }
        }
        List<Change> sorted = new ArrayList<>(latest.values());
        // A fixed lock order: instances working on overlapping batches cannot deadlock.
        sorted.sort(Comparator.comparing(c -> c.externalId));
        return sorted;
    }

    /** The changes' cross-references, {@code locked} for update or as committed. */
    private Map<String, Xref> xrefs(String system, List<Change> changes, boolean locked) {
        Map<String, Xref> xrefs = new HashMap<>();
        BulkSql.lookup(jdbc, xrefProbe(locked),
                rs -> {
                    Timestamp ts = rs.getTimestamp(3);
                    xrefs.put(rs.getString(1), new Xref(rs.getObject(2, UUID.class), ts == null ? null : ts.toInstant(), rs.getBoolean(4)));
                }, changes.stream().map(c -> c.externalId).toArray(String[]::new), entity.type(), system);
        return xrefs;
    }

    /**
     * One probe of the cross-reference's primary key per key (an array), locking in the order of
     * the keys when {@code locked} (sorted: see latestPerRecord). Two things keep it a probe:
     * <ul>
     *   <li>not "external_id = any(?)": the planner, misled by the statistics of a young table,
     *   scanned all of the system's rows instead (20,000 of them per batch in
     *   bench/sync-throughput, 8 ms where 1.4 ms do);</li>
     *   <li>the "limit 1" (or the "for update", as the transaction's probe has always been
     *   written): without either, the planner may pull the
     *   subquery up into a join, and on a table never analyzed (a fresh store's first migration)
     *   it read every cross-reference of the system for each key: a 100,000-account migration
     *   fell from 1,900 to 130 records/s (found by MigrationCrashIT on the machine's PostgreSQL;
     *   XrefProbeIT checks the plans).</li>
     * </ul>
     */
    static String xrefProbe(boolean locked) {
        return """
                select x.external_id, x.crm_id, x.source_changed_at, x.secondary from unnest(?) k cross join lateral (
                  select external_id, crm_id, source_changed_at, secondary from xref
                  where entity_type = ? and system = ? and external_id = k %s) x""".formatted(locked ? "for update" : "limit 1");
    }

    private void update(String system, List<Change> updates, Applied[] out) {
        if (updates.isEmpty()) {
            return;
        }
        String[] ids = updates.stream().map(c -> c.crmId.toString()).toArray(String[]::new);
        Map<String, Map<String, String>> current = new HashMap<>();
        BulkSql.lookup(jdbc, "select id::text, " + entity.canonicalSelect() + " from " + entity.table()
                + " where id = any(cast(? as uuid[])) for update", rs -> {
                    Map<String, String> row = new HashMap<>();
                    for (String field : entity.fields().keySet()) {
                        row.put(field, rs.getString(field));
                    }
                    current.put(rs.getString(1), row);
                }, (Object) ids);
        Map<String, List<Map<String, String>>> currentLines = currentLines(ids);

        List<Change> differing = new ArrayList<>();
        for (Change c : updates) {
            Map<String, String> now = current.get(c.crmId.toString());
            for (Map.Entry<String, Column> f : entity.fields().entrySet()) {
                String field = f.getKey();
                String incoming = c.values.get(field);
                if (!crmOwned.contains(field) && !same(f.getValue(), incoming, now.get(field))
                        && !(incoming == null && entity.defaults().containsKey(field))
                        && !(c.fillOnly && now.get(field) != null)) {
                    c.differing.add(field);
                }
            }
            c.linesDiffer = entity.lines() != null && !sameLines(c.lines, currentLines.getOrDefault(c.crmId.toString(), List.of()));
            if (!c.differing.isEmpty()) {
                differing.add(c);
            }
        }
        // The CRM's edit times matter only for fields that differ; echoes cost no look-up.
        Map<String, Map<String, Instant>> edits = fieldEdits(differing);
        List<Object[]> rows = new ArrayList<>();
        List<Object[]> conflicts = new ArrayList<>();
        List<Change> replaceLines = new ArrayList<>();
        List<Object[]> events = new ArrayList<>();
        List<Object[]> xrefUpdates = new ArrayList<>();
        for (Change c : updates) {
            Map<String, String> now = current.get(c.crmId.toString());
            Map<String, Instant> edited = edits.getOrDefault(c.crmId.toString(), Map.of());
            Map<String, String> merged = new LinkedHashMap<>(now);
            boolean written = false;
            int conflicted = 0;
            for (String field : c.differing) {
                String incoming = c.values.get(field);
                Instant crmEdit = edited.get(field);
                if (sourceOwned.contains(field) || crmEdit == null || c.changedAt == null
                        || c.changedAt.isAfter(crmEdit.plus(skewTolerance))) {
                    merged.put(field, incoming);
                    written = true;
                } else if (!crmEdit.isAfter(c.changedAt.plus(skewTolerance))) {
                    conflicts.add(new Object[]{entity.type(), c.crmId, field, now.get(field), Timestamp.from(crmEdit),
                            system, incoming, Timestamp.from(c.changedAt)});
                    conflicted++;
                }
                // otherwise the CRM's edit is the later one: it stands, and travels to the source through the outbox.
            }
            if (written || c.linesDiffer) {
                rows.add(row(merged, c.crmId, false));
            }
            c.matchChanged = matchFields.stream().anyMatch(f -> !java.util.Objects.equals(now.get(f), merged.get(f)));
            if (c.linesDiffer) {
                replaceLines.add(c);
            }
            xrefUpdates.add(new Object[]{c.changedAt == null ? null : Timestamp.from(c.changedAt), entity.type(), system, c.externalId});
            if (written || c.linesDiffer) {
                events.add(event(c.crmId, "UPDATED", system, merged, c.lines));
                out[c.index] = new Applied(c.crmId, conflicted > 0 ? Outcome.CONFLICT : Outcome.UPDATED);
            } else {
                // The echo of the hub's own write to the source ends here: same values, no version, no event.
                out[c.index] = new Applied(c.crmId, conflicted > 0 ? Outcome.CONFLICT : Outcome.UNCHANGED);
            }
        }
        UPDATE_XREF.execute(jdbc, xrefUpdates);
        update.execute(jdbc, rows);
        INSERT_CONFLICT.execute(jdbc, conflicts);
        if (!replaceLines.isEmpty()) {
            BulkSql.change(jdbc, "delete from " + entity.lines().table() + " where " + entity.lines().parentColumn()
                    + " = any(cast(? as uuid[]))", (Object) replaceLines.stream().map(c -> c.crmId.toString()).toArray(String[]::new));
            insertLines(replaceLines);
        }
        outbox(events);
    }

    private void create(String system, List<Change> creates, Applied[] out) {
        if (creates.isEmpty()) {
            return;
        }
        List<Object[]> rows = new ArrayList<>(creates.size());
        List<Object[]> xrefs = new ArrayList<>(creates.size());
        List<Object[]> events = new ArrayList<>(creates.size());
        for (Change c : creates) {
            if (c.crmId == null) {
                c.crmId = CrmIds.next();
            }
            Map<String, String> stored = new LinkedHashMap<>(c.values);
            entity.defaults().forEach(stored::putIfAbsent);
            rows.add(row(c.values, c.crmId, true));
            xrefs.add(new Object[]{entity.type(), system, c.externalId, c.crmId,
                    c.changedAt == null ? null : Timestamp.from(c.changedAt), false});
            events.add(event(c.crmId, "CREATED", system, stored, c.lines));
            out[c.index] = new Applied(c.crmId, Outcome.CREATED);
        }
        insert.execute(jdbc, rows);
        insertLines(creates);
        INSERT_XREF.execute(jdbc, xrefs);
        outbox(events);
    }

    private Map<String, List<Map<String, String>>> currentLines(String[] ids) {
        Map<String, List<Map<String, String>>> lines = new HashMap<>();
        if (entity.lines() == null) {
            return lines;
        }
        CrmEntity.LineTable lt = entity.lines();
        BulkSql.lookup(jdbc, "select " + lt.parentColumn() + "::text, " + CrmEntity.selectList(lt.fields()) + " from " + lt.table()
                + " where " + lt.parentColumn() + " = any(cast(? as uuid[])) order by 1, " + lt.fields().get(lt.orderField()).name(),
                rs -> {
                    Map<String, String> line = new HashMap<>();
                    for (String field : lt.fields().keySet()) {
                        line.put(field, rs.getString(field));
                    }
                    lines.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(line);
                }, (Object) ids);
        return lines;
    }

    private void insertLines(Collection<Change> changes) {
        if (insertLines == null) {
            return;
        }
        List<Object[]> rows = new ArrayList<>();
        for (Change c : changes) {
            for (Map<String, String> line : c.lines) {
                List<Object> args = new ArrayList<>();
                args.add(c.crmId.toString());
                entity.lines().fields().keySet().forEach(f -> args.add(line.get(f)));
                rows.add(args.toArray());
            }
        }
        insertLines.execute(jdbc, rows);
    }

    private Map<String, Map<String, Instant>> fieldEdits(List<Change> differing) {
        Map<String, Map<String, Instant>> edits = new HashMap<>();
        if (differing.isEmpty()) {
            return edits;
        }
        BulkSql.lookup(jdbc, "select crm_id::text, field, edited_at from field_edit where entity_type = ? and crm_id = any(cast(? as uuid[]))",
                rs -> {
                    edits.computeIfAbsent(rs.getString(1), k -> new HashMap<>()).put(rs.getString(2), rs.getTimestamp(3).toInstant());
                }, entity.type(), differing.stream().map(c -> c.crmId.toString()).toArray(String[]::new));
        return edits;
    }

    /** Statement arguments: the id (first for an insert, last for an update) and every field as text. */
    private Object[] row(Map<String, String> values, UUID id, boolean idFirst) {
        List<Object> args = new ArrayList<>();
        entity.fields().keySet().forEach(f -> args.add(values.get(f)));
        args.add(idFirst ? 0 : args.size(), id.toString());
        return args.toArray();
    }

    private Object[] event(UUID id, String change, String origin, Map<String, String> values, List<Map<String, String>> lines) {
        Map<String, Object> payload = new LinkedHashMap<>();
        values.forEach((k, v) -> {
            if (v != null) {
                payload.put(k, v);
            }
        });
        if (entity.lines() != null) {
            payload.put("lines", lines);
        }
        try {
            return new Object[]{entity.type(), id, entity.type() + "_" + change, origin, json.writeValueAsString(payload)};
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + entity.type() + " event", e);
        }
    }

    private void outbox(List<Object[]> events) {
        INSERT_OUTBOX.execute(jdbc, events);
    }

    private boolean sameLines(List<Map<String, String>> incoming, List<Map<String, String>> stored) {
        if (incoming.size() != stored.size()) {
            return false;
        }
        for (int i = 0; i < incoming.size(); i++) {
            for (Map.Entry<String, Column> f : entity.lines().fields().entrySet()) {
                if (!same(f.getValue(), incoming.get(i).get(f.getKey()), stored.get(i).get(f.getKey()))) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Equal as the column stores them: numbers by value (10.0 = 10.00), text after trimming. */
    private static boolean same(Column column, String a, String b) {
        if (a == null || b == null) {
            return a == null && b == null;
        }
        if (column.numeric()) {
            return new BigDecimal(a).compareTo(new BigDecimal(b)) == 0;
        }
        return Objects.equals(a, b);
    }

    /** Canonical values as the text the store's columns are cast from. */
    private static Map<String, String> canonical(Map<String, Object> values) {
        Map<String, String> m = new LinkedHashMap<>();
        values.forEach((k, v) -> {
            String s = v instanceof BigDecimal d ? d.toPlainString() : v == null ? null : v.toString().strip();
            m.put(k, s == null || s.isEmpty() ? null : s);
        });
        return m;
    }

    private static String system(SourceRecord r) {
        return r.system().toUpperCase(Locale.ROOT);
    }

    private record Xref(UUID crmId, Instant changedAt, boolean secondary) {
    }

    /** One record version on its way through a batch. */
    private static final class Change {
        final int index;
        final SourceRecord source;
        final String system;
        final String externalId;
        final Instant changedAt;
        final Map<String, String> values;
        final List<Map<String, String>> lines;
        final List<String> differing = new ArrayList<>();
        boolean linesDiffer;
        UUID crmId;
        List<Match> possibleDuplicates = List.of();
        CrmDuplicates.Subject subject;
        /** a sure duplicate of the record {@code crmId}: linked to it, not created */
        boolean linked;
        boolean fillOnly;
        /** written with a new value in a field the duplicate check reads (none when there is no check) */
        boolean matchChanged;

        Change(int index, SourceRecord source, Map<String, String> values, List<Map<String, String>> lines) {
            this.index = index;
            this.source = source;
            this.system = system(source);
            this.externalId = source.externalId();
            this.changedAt = source.changedAt();
            this.values = values;
            this.lines = lines;
        }
    }
}
