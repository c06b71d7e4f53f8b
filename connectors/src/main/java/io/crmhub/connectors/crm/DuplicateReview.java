package io.crmhub.connectors.crm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The review queue of possible duplicate accounts and contacts and what a person decides on it:
 * merge (with survivorship rules per field, children re-parented, every external id re-pointed to
 * the survivor, history kept) or distinct (remembered, never proposed again).
 */
public class DuplicateReview {

    /** How a field's value is chosen when two records merge. */
    public enum Strategy {
        /** the survivor's value, or the merged record's when the survivor has none */
        MOST_COMPLETE,
        /** the value of the record changed last, or the other's when it has none */
        MOST_RECENT,
        /** the value of the record from the highest-ranked source system, or the other's when it has none */
        SOURCE_PRIORITY
    }

    /**
     * @param fields         strategy by field (of accounts and contacts); fields not listed use {@code otherwise}
     * @param sourcePriority systems from the most trusted; a record no system knows counts as {@code CRM}
     */
    public record Survivorship(Strategy otherwise, Map<String, Strategy> fields, List<String> sourcePriority) {

        public Survivorship {
            fields = Map.copyOf(fields);
            sourcePriority = List.copyOf(sourcePriority);
            for (String field : fields.keySet()) {
                if (!CrmEntity.ACCOUNT.fields().containsKey(field) && !CrmEntity.CONTACT.fields().containsKey(field)) {
                    throw new IllegalArgumentException("unknown field '" + field + "'; known: account "
                            + CrmEntity.ACCOUNT.fields().keySet() + ", contact " + CrmEntity.CONTACT.fields().keySet());
                }
            }
        }

        Strategy of(String field) {
            return fields.getOrDefault(field, otherwise);
        }
    }

    /** One proposal, as an operator reads it. */
    public record Candidate(long id, String entityType, String status, double score, Map<String, String> record, Map<String, String> other,
                            JsonNode evidence, String source, OffsetDateTime detectedAt) {
    }

    /** What a merge did. */
    public record Merged(UUID survivor, UUID merged, Map<String, String> valueFrom, Map<String, Integer> moved) {
    }

    /** The decision cannot be taken (unknown proposal, already decided, a record already merged). */
    public static class ReviewException extends RuntimeException {
        public ReviewException(String message) {
            super(message);
        }
    }

    /** Fields a merge never takes from the merged record: the survivor's status, a contact's account. */
    private static final Set<String> SURVIVOR_KEEPS = Set.of("status", "account");

    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final CrmDuplicates duplicates;
    private final Survivorship survivorship;
    private final ObjectMapper json;

    public DuplicateReview(JdbcTemplate crmJdbc, TransactionTemplate crmTransactions, CrmDuplicates duplicates,
                           Survivorship survivorship, ObjectMapper json) {
        this.jdbc = crmJdbc;
        this.tx = crmTransactions;
        this.duplicates = duplicates;
        this.survivorship = survivorship;
        this.json = json;
    }

    /** Open proposals, the most likely first. */
    public List<Candidate> open(int limit, int offset) {
        List<Candidate> out = new ArrayList<>();
        jdbc.query("""
                select id, entity_type, status, score, crm_id, other_id, evidence::text, source, detected_at from duplicate_candidate
                where status = 'OPEN' order by score desc, id limit ? offset ?""", rs -> {
                    CrmEntity entity = CrmEntity.named(rs.getString(2));
                    out.add(new Candidate(rs.getLong(1), entity.type(), rs.getString(3), rs.getDouble(4),
                            summary(entity, rs.getObject(5, UUID.class)), summary(entity, rs.getObject(6, UUID.class)),
                            readJson(rs.getString(7)), rs.getString(8), rs.getObject(9, OffsetDateTime.class)));
                }, limit, offset);
        return out;
    }

    /** The two records are different parties: closed, and never proposed again. */
    public void distinct(long candidateId, String by) {
        tx.executeWithoutResult(status -> {
            Claimed claimed = claim(candidateId);
            UUID[] pair = claimed.pair();
            // PostgreSQL orders uuids by their bytes, as their text sorts; UUID.compareTo does not
            UUID low = pair[0].toString().compareTo(pair[1].toString()) < 0 ? pair[0] : pair[1];
            UUID high = low.equals(pair[0]) ? pair[1] : pair[0];
            jdbc.update("insert into distinct_pair (entity_type, low_id, high_id, decided_by) values (?, ?, ?, ?) on conflict do nothing",
                    claimed.entity().type(), low, high, by);
            jdbc.update("update duplicate_candidate set status = 'DISTINCT', decided_by = ?, decided_at = now() where id = ?", by, candidateId);
        });
    }

    /**
     * Merges the proposal's two records. The survivor is the one given, or else the older record.
     * The other is kept as MERGED with a pointer to the survivor, so that nothing that referred
     * to it is lost, and it can never be written again: every external id now lands on the survivor.
     */
    public Merged merge(long candidateId, UUID survivor, String by) {
        return tx.execute(status -> {
            Claimed claimed = claim(candidateId);
            UUID[] pair = claimed.pair();
            if (survivor != null && !survivor.equals(pair[0]) && !survivor.equals(pair[1])) {
                throw new ReviewException("survivor " + survivor + " is not one of the proposal's records " + pair[0] + ", " + pair[1]);
            }
            Merged m = mergeRecords(claimed.entity(), pair, survivor, by);
            jdbc.update("update duplicate_candidate set status = 'MERGED', decided_by = ?, decided_at = now() where id = ?", by, candidateId);
            return m;
        });
    }

    private Merged mergeRecords(CrmEntity entity, UUID[] pair, UUID chosen, String by) {
        String type = entity.type();
        Map<UUID, Map<String, String>> rows = new HashMap<>();
        Map<UUID, Instant> updated = new HashMap<>();
        Map<UUID, Instant> created = new HashMap<>();
        jdbc.query("select id, created_at, updated_at, " + entity.canonicalSelect() + " from " + entity.table()
                + " where id in (?, ?) and " + CrmDuplicates.live(entity) + " order by id for update", rs -> {
                    UUID id = rs.getObject(1, UUID.class);
                    created.put(id, rs.getTimestamp(2).toInstant());
                    updated.put(id, rs.getTimestamp(3).toInstant());
                    Map<String, String> values = new LinkedHashMap<>();
                    for (String field : entity.fields().keySet()) {
                        values.put(field, rs.getString(field));
                    }
                    rows.put(id, values);
                }, pair[0], pair[1]);
        if (rows.size() != 2) {
            throw new ReviewException("one of the records " + pair[0] + ", " + pair[1] + " no longer exists or was merged already");
        }
        UUID survivor = chosen != null ? chosen : created.get(pair[0]).isAfter(created.get(pair[1])) ? pair[1] : pair[0];
        UUID merged = survivor.equals(pair[0]) ? pair[1] : pair[0];
        Map<UUID, Integer> rank = sourceRank(type, pair);

        Map<String, String> values = new LinkedHashMap<>();
        Map<String, String> from = new LinkedHashMap<>();
        for (String field : entity.fields().keySet()) {
            if (SURVIVOR_KEEPS.contains(field)) {
                values.put(field, rows.get(survivor).get(field));
                continue;
            }
            UUID first = switch (survivorship.of(field)) {
                case MOST_COMPLETE -> survivor;
                case MOST_RECENT -> updated.get(merged).isAfter(updated.get(survivor)) ? merged : survivor;
                case SOURCE_PRIORITY -> rank.get(merged) < rank.get(survivor) ? merged : survivor;
            };
            UUID second = first.equals(survivor) ? merged : survivor;
            String v = rows.get(first).get(field);
            UUID source = first;
            if (v == null || v.isBlank()) {
                v = rows.get(second).get(field);
                source = second;
            }
            values.put(field, v);
            if (v != null) {
                from.put(field, (source.equals(survivor) ? "survivor" : "merged") + " (" + survivorship.of(field).name().toLowerCase(Locale.ROOT) + ")");
            }
        }

        List<String> sets = new ArrayList<>();
        List<Object> args = new ArrayList<>();
        entity.fields().forEach((field, c) -> {
            sets.add(c.name() + " = cast(? as " + c.sqlType() + ")");
            args.add(values.get(field));
        });
        args.add(survivor);
        jdbc.update("update " + entity.table() + " set " + String.join(", ", sets) + ", updated_at = now(), version = version + 1 where id = ?",
                args.toArray());
        jdbc.update("update " + entity.table() + " set " + (CrmEntity.ACCOUNT.equals(entity) ? "status = 'MERGED', " : "")
                + "merged_into = ?, updated_at = now(), version = version + 1 where id = ?", survivor, merged);

        Map<String, Integer> moved = new LinkedHashMap<>();
        List<UUID> movedContacts = List.of();
        if (CrmEntity.ACCOUNT.equals(entity)) {
            movedContacts = jdbc.queryForList("update contact set account_id = ?, updated_at = now() where account_id = ? returning id",
                    UUID.class, survivor, merged);
            moved.put("contacts", movedContacts.size());
            moved.put("orders", jdbc.update("update sales_order set account_id = ?, updated_at = now() where account_id = ?", survivor, merged));
            moved.put("subsidiaries", jdbc.update("update account set parent_id = case when id = ? then null else ? end where parent_id = ?",
                    survivor, survivor, merged));
        } else {
            moved.put("orders", jdbc.update("update sales_order set contact_id = ?, updated_at = now() where contact_id = ?", survivor, merged));
        }
        moved.put("tasks", jdbc.update("update task set concerns_id = ? where concerns_type = ? and concerns_id = ?", survivor, type, merged));
        moved.put("notes", jdbc.update("update note set concerns_id = ? where concerns_type = ? and concerns_id = ?", survivor, type, merged));
        // the merged record's ids become secondary ids of the survivor (the survivor's stay primary)
        moved.put("externalIds", jdbc.update("""
                update xref set crm_id = ?, updated_at = now(),
                  secondary = secondary or exists (select 1 from xref p where p.entity_type = ? and p.crm_id = ? and p.system = xref.system)
                where entity_type = ? and crm_id = ?""", survivor, type, survivor, type, merged));
        moved.put("openConflicts", jdbc.update("update sync_conflict set crm_id = ? where entity_type = ? and crm_id = ? and status = 'OPEN'",
                survivor, type, merged));
        jdbc.update("delete from field_edit where entity_type = ? and crm_id = ?", type, merged);
        jdbc.update("delete from match_key where crm_id = ?", merged);
        // Proposals about the merged record are closed; the survivor is checked again below.
        jdbc.update("""
                update duplicate_candidate set status = 'MERGED', decided_by = ?, decided_at = now()
                where entity_type = ? and status = 'OPEN' and (crm_id = ? or other_id = ?)""", by, type, merged, merged);

        jdbc.update("insert into merge_history (entity_type, survivor_id, merged_id, merged_by, fields, moved) values (?, ?, ?, ?, cast(? as jsonb), cast(? as jsonb))",
                type, survivor, merged, by, toJson(from), toJson(moved));
        Map<String, String> payload = new LinkedHashMap<>();
        values.forEach((k, v) -> {
            if (v != null) {
                payload.put(k, v);
            }
        });
        jdbc.update("insert into outbox_event (aggregate_type, aggregate_id, event_type, origin, payload) values (?, ?, ?, 'CRM', cast(? as jsonb))",
                type, survivor, type + "_UPDATED", toJson(payload));
        duplicates.reindexAndRecheck(entity, Set.of(survivor), "MERGE");
        // the two companies' contacts are now one account's: the same person twice shows up for review
        duplicates.reindexAndRecheck(CrmEntity.CONTACT, movedContacts, "MERGE");
        return new Merged(survivor, merged, from, moved);
    }

    /** Each record's rank by its best source system (0 is the most trusted). */
    private Map<UUID, Integer> sourceRank(String type, UUID[] pair) {
        Map<UUID, Integer> rank = new HashMap<>();
        int crm = rankOf("CRM");
        rank.put(pair[0], crm);
        rank.put(pair[1], crm);
        jdbc.query("select crm_id, system from xref where entity_type = ? and crm_id in (?, ?)", rs -> {
            rank.merge(rs.getObject(1, UUID.class), rankOf(rs.getString(2)), Math::min);
        }, type, pair[0], pair[1]);
        return rank;
    }

    private int rankOf(String system) {
        int i = survivorship.sourcePriority().indexOf(system);
        return i < 0 ? survivorship.sourcePriority().size() : i;
    }

    private record Claimed(CrmEntity entity, UUID[] pair) {
    }

    /** Locks an open proposal and returns its two records. */
    private Claimed claim(long candidateId) {
        List<Claimed> found = jdbc.query("select crm_id, other_id, status, entity_type from duplicate_candidate where id = ? for update", (rs, n) -> {
            if (!"OPEN".equals(rs.getString(3))) {
                throw new ReviewException("proposal " + candidateId + " was decided already: " + rs.getString(3));
            }
            return new Claimed(CrmEntity.named(rs.getString(4)), new UUID[]{rs.getObject(1, UUID.class), rs.getObject(2, UUID.class)});
        }, candidateId);
        if (found.isEmpty()) {
            throw new ReviewException("no proposal " + candidateId);
        }
        return found.get(0);
    }

    private Map<String, String> summary(CrmEntity entity, UUID id) {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("id", id.toString());
        jdbc.query("select " + entity.canonicalSelect() + " from " + entity.table() + " where id = ?", rs -> {
            for (String field : entity.fields().keySet()) {
                if (rs.getString(field) != null) {
                    out.put(field, rs.getString(field));
                }
            }
        }, id);
        out.put("externalIds", String.join(", ", jdbc.queryForList(
                "select system || ':' || external_id from xref where entity_type = ? and crm_id = ? order by 1", String.class,
                entity.type(), id)));
        return out;
    }

    private JsonNode readJson(String s) {
        try {
            return json.readTree(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("unreadable evidence", e);
        }
    }

    private String toJson(Object o) {
        try {
            return json.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize", e);
        }
    }
}
