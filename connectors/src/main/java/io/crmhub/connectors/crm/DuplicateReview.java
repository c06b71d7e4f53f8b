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
 * The review queue of possible duplicate accounts and what a person decides on it: merge (with
 * survivorship rules per field, children re-parented, every external id re-pointed to the
 * survivor, history kept) or distinct (remembered, never proposed again).
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
     * @param fields         strategy by field; fields not listed use {@code otherwise}
     * @param sourcePriority systems from the most trusted; a record no system knows counts as {@code CRM}
     */
    public record Survivorship(Strategy otherwise, Map<String, Strategy> fields, List<String> sourcePriority) {

        public Survivorship {
            fields = Map.copyOf(fields);
            sourcePriority = List.copyOf(sourcePriority);
            fields.keySet().forEach(CrmEntity.ACCOUNT::column);
        }

        Strategy of(String field) {
            return fields.getOrDefault(field, otherwise);
        }
    }

    /** One proposal, as an operator reads it. */
    public record Candidate(long id, String status, double score, Map<String, String> record, Map<String, String> other,
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

    private static final CrmEntity ACCOUNT = CrmEntity.ACCOUNT;

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
                select id, status, score, crm_id, other_id, evidence::text, source, detected_at from duplicate_candidate
                where entity_type = 'ACCOUNT' and status = 'OPEN' order by score desc, id limit ? offset ?""", rs -> {
                    out.add(new Candidate(rs.getLong(1), rs.getString(2), rs.getDouble(3), summary(rs.getObject(4, UUID.class)),
                            summary(rs.getObject(5, UUID.class)), readJson(rs.getString(6)), rs.getString(7),
                            rs.getObject(8, OffsetDateTime.class)));
                }, limit, offset);
        return out;
    }

    /** The two records are different parties: closed, and never proposed again. */
    public void distinct(long candidateId, String by) {
        tx.executeWithoutResult(status -> {
            UUID[] pair = claim(candidateId);
            // PostgreSQL orders uuids by their bytes, as their text sorts; UUID.compareTo does not
            UUID low = pair[0].toString().compareTo(pair[1].toString()) < 0 ? pair[0] : pair[1];
            UUID high = low.equals(pair[0]) ? pair[1] : pair[0];
            jdbc.update("insert into distinct_pair (entity_type, low_id, high_id, decided_by) values ('ACCOUNT', ?, ?, ?) on conflict do nothing",
                    low, high, by);
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
            UUID[] pair = claim(candidateId);
            if (survivor != null && !survivor.equals(pair[0]) && !survivor.equals(pair[1])) {
                throw new ReviewException("survivor " + survivor + " is not one of the proposal's records " + pair[0] + ", " + pair[1]);
            }
            Merged m = mergeRecords(pair, survivor, by);
            jdbc.update("update duplicate_candidate set status = 'MERGED', decided_by = ?, decided_at = now() where id = ?", by, candidateId);
            return m;
        });
    }

    private Merged mergeRecords(UUID[] pair, UUID chosen, String by) {
        Map<UUID, Map<String, String>> rows = new HashMap<>();
        Map<UUID, Instant> updated = new HashMap<>();
        Map<UUID, Instant> created = new HashMap<>();
        jdbc.query("select id, created_at, updated_at, " + ACCOUNT.canonicalSelect()
                + " from account where id in (?, ?) and status <> 'MERGED' order by id for update", rs -> {
                    UUID id = rs.getObject(1, UUID.class);
                    created.put(id, rs.getTimestamp(2).toInstant());
                    updated.put(id, rs.getTimestamp(3).toInstant());
                    Map<String, String> values = new LinkedHashMap<>();
                    for (String field : ACCOUNT.fields().keySet()) {
                        values.put(field, rs.getString(field));
                    }
                    rows.put(id, values);
                }, pair[0], pair[1]);
        if (rows.size() != 2) {
            throw new ReviewException("one of the records " + pair[0] + ", " + pair[1] + " no longer exists or was merged already");
        }
        UUID survivor = chosen != null ? chosen : created.get(pair[0]).isAfter(created.get(pair[1])) ? pair[1] : pair[0];
        UUID merged = survivor.equals(pair[0]) ? pair[1] : pair[0];
        Map<UUID, Integer> rank = sourceRank(pair);

        Map<String, String> values = new LinkedHashMap<>();
        Map<String, String> from = new LinkedHashMap<>();
        for (String field : ACCOUNT.fields().keySet()) {
            if ("status".equals(field)) {
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
        ACCOUNT.fields().forEach((field, c) -> {
            sets.add(c.name() + " = cast(? as " + c.sqlType() + ")");
            args.add(values.get(field));
        });
        args.add(survivor);
        jdbc.update("update account set " + String.join(", ", sets) + ", updated_at = now(), version = version + 1 where id = ?", args.toArray());
        jdbc.update("update account set status = 'MERGED', merged_into = ?, updated_at = now(), version = version + 1 where id = ?",
                survivor, merged);

        Map<String, Integer> moved = new LinkedHashMap<>();
        moved.put("contacts", jdbc.update("update contact set account_id = ?, updated_at = now() where account_id = ?", survivor, merged));
        moved.put("orders", jdbc.update("update sales_order set account_id = ?, updated_at = now() where account_id = ?", survivor, merged));
        moved.put("subsidiaries", jdbc.update("update account set parent_id = case when id = ? then null else ? end where parent_id = ?",
                survivor, survivor, merged));
        moved.put("tasks", jdbc.update("update task set concerns_id = ? where concerns_type = 'ACCOUNT' and concerns_id = ?", survivor, merged));
        moved.put("notes", jdbc.update("update note set concerns_id = ? where concerns_type = 'ACCOUNT' and concerns_id = ?", survivor, merged));
        // the merged record's ids become secondary ids of the survivor (the survivor's stay primary)
        moved.put("externalIds", jdbc.update("""
                update xref set crm_id = ?, updated_at = now(),
                  secondary = secondary or exists (select 1 from xref p where p.entity_type = 'ACCOUNT' and p.crm_id = ? and p.system = xref.system)
                where entity_type = 'ACCOUNT' and crm_id = ?""", survivor, survivor, merged));
        moved.put("openConflicts", jdbc.update("update sync_conflict set crm_id = ? where entity_type = 'ACCOUNT' and crm_id = ? and status = 'OPEN'",
                survivor, merged));
        jdbc.update("delete from field_edit where entity_type = 'ACCOUNT' and crm_id = ?", merged);
        jdbc.update("delete from match_key where crm_id = ?", merged);
        // Proposals about the merged record are closed; the survivor is checked again below.
        jdbc.update("""
                update duplicate_candidate set status = 'MERGED', decided_by = ?, decided_at = now()
                where entity_type = 'ACCOUNT' and status = 'OPEN' and (crm_id = ? or other_id = ?)""", by, merged, merged);

        jdbc.update("insert into merge_history (entity_type, survivor_id, merged_id, merged_by, fields, moved) values ('ACCOUNT', ?, ?, ?, cast(? as jsonb), cast(? as jsonb))",
                survivor, merged, by, toJson(from), toJson(moved));
        Map<String, String> payload = new LinkedHashMap<>();
        values.forEach((k, v) -> {
            if (v != null) {
                payload.put(k, v);
            }
        });
        jdbc.update("insert into outbox_event (aggregate_type, aggregate_id, event_type, origin, payload) values ('ACCOUNT', ?, 'ACCOUNT_UPDATED', 'CRM', cast(? as jsonb))",
                survivor, toJson(payload));
        duplicates.reindexAndRecheck(ACCOUNT, Set.of(survivor), "MERGE");
        return new Merged(survivor, merged, from, moved);
    }

    /** Each record's rank by its best source system (0 is the most trusted). */
    private Map<UUID, Integer> sourceRank(UUID[] pair) {
        Map<UUID, Integer> rank = new HashMap<>();
        int crm = rankOf("CRM");
        rank.put(pair[0], crm);
        rank.put(pair[1], crm);
        jdbc.query("select crm_id, system from xref where entity_type = 'ACCOUNT' and crm_id in (?, ?)", rs -> {
            rank.merge(rs.getObject(1, UUID.class), rankOf(rs.getString(2)), Math::min);
        }, pair[0], pair[1]);
        return rank;
    }

    private int rankOf(String system) {
        int i = survivorship.sourcePriority().indexOf(system);
        return i < 0 ? survivorship.sourcePriority().size() : i;
    }

    /** Locks an open proposal and returns its two records. */
    private UUID[] claim(long candidateId) {
        List<UUID[]> found = jdbc.query("select crm_id, other_id, status from duplicate_candidate where id = ? for update", (rs, n) -> {
            if (!"OPEN".equals(rs.getString(3))) {
                throw new ReviewException("proposal " + candidateId + " was decided already: " + rs.getString(3));
            }
            return new UUID[]{rs.getObject(1, UUID.class), rs.getObject(2, UUID.class)};
        }, candidateId);
        if (found.isEmpty()) {
            throw new ReviewException("no proposal " + candidateId);
        }
        return found.get(0);
    }

    private Map<String, String> summary(UUID id) {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("id", id.toString());
        jdbc.query("select " + ACCOUNT.canonicalSelect() + " from account where id = ?", rs -> {
            for (String field : List.of("name", "street", "postalCode", "city", "country", "phone", "email", "website", "status")) {
                if (rs.getString(field) != null) {
                    out.put(field, rs.getString(field));
                }
            }
        }, id);
        out.put("externalIds", String.join(", ", jdbc.queryForList(
                "select system || ':' || external_id from xref where entity_type = 'ACCOUNT' and crm_id = ? order by 1", String.class, id)));
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
