package io.crmhub.connectors.crm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.crm.BulkSql.Col;
import io.crmhub.transformers.match.Blocking;
import io.crmhub.transformers.match.Deduplicator;
import io.crmhub.transformers.match.Deduplicator.Decision;
import io.crmhub.transformers.match.Match;
import io.crmhub.transformers.match.Matcher;
import io.crmhub.transformers.match.Party;
import io.crmhub.transformers.match.Profile;
import org.springframework.jdbc.core.JdbcTemplate;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The duplicate check of the CRM store's accounts. Each account's blocking keys are kept in
 * {@code match_key}, so checking an incoming record is an indexed look-up of its keys followed by
 * the matcher on the few records found. Possible duplicates go to {@code duplicate_candidate} for a
 * person; pairs a person declared different ({@code distinct_pair}) are never proposed again.
 */
public class CrmDuplicates {

    private static final BulkSql INSERT_KEYS = BulkSql.insert("match_key",
            List.of(new Col("entity_type", "text"), new Col("key", "text"), new Col("crm_id", "uuid")));

    private final JdbcTemplate jdbc;
    private final Matcher matcher;
    private final Deduplicator dedup;
    private final ObjectMapper json;

    public CrmDuplicates(JdbcTemplate crmJdbc, Matcher matcher, ObjectMapper json) {
        this.jdbc = crmJdbc;
        this.matcher = matcher;
        this.dedup = new Deduplicator(matcher);
        this.json = json;
    }

    /** Whether records of this entity are checked (accounts; persons follow with contacts). */
    public boolean checks(CrmEntity entity) {
        return CrmEntity.ACCOUNT.equals(entity);
    }

    /** A CRM account's canonical values as the matcher reads them. */
    public Profile profile(UUID id, Map<String, String> values) {
        return matcher.profile(Party.organization(id.toString(), values.get("name"), values.get("website"),
                values.get("email"), values.get("phone"), values.get("street"), values.get("postalCode"),
                values.get("city"), values.get("country")));
    }

    /**
     * Decides for records about to be created, in order: each is compared with the store's
     * records that share a blocking key and with the records before it in the same batch (two
     * spellings of one new company in one batch become one account).
     */
    public List<Decision> check(CrmEntity entity, List<Profile> incoming) {
        Map<String, Set<String>> keyed = candidateIds(entity, incoming);
        Map<String, Profile> stored = load(keyed.values().stream().flatMap(Set::stream).toList());
        Map<String, List<Profile>> earlier = new HashMap<>();
        List<Decision> decisions = new ArrayList<>(incoming.size());
        for (Profile p : incoming) {
            Map<String, Profile> candidates = new LinkedHashMap<>();
            for (String key : Blocking.keys(p)) {
                keyed.getOrDefault(key, Set.of()).forEach(id -> {
                    Profile c = stored.get(id);
                    if (c != null) {
                        candidates.put(id, c);
                    }
                });
                earlier.getOrDefault(key, List.of()).forEach(c -> candidates.put(c.id(), c));
            }
            Decision d = dedup.decide(p, List.copyOf(candidates.values()));
            decisions.add(d);
            if (d.kind() != Decision.Kind.LINK) {
                for (String key : Blocking.keys(p)) {
                    earlier.computeIfAbsent(key, k -> new ArrayList<>()).add(p);
                }
            }
        }
        return decisions;
    }

    /**
     * Possible duplicates of records whose matching fields changed: proposed for review, never
     * merged automatically (both records already exist and may carry their own history).
     */
    public void recheck(CrmEntity entity, List<Profile> changed, String source) {
        if (changed.isEmpty()) {
            return;
        }
        List<Decision> decisions = check(entity, changed);
        for (int i = 0; i < changed.size(); i++) {
            String self = changed.get(i).id();
            List<Match> others = decisions.get(i).candidates().stream().filter(m -> !m.b().equals(self)).toList();
            propose(entity, others, source);
        }
    }

    /** Re-indexes records whose values changed and proposes what they may now duplicate. */
    public void reindexAndRecheck(CrmEntity entity, Collection<UUID> changed, String source) {
        if (changed.isEmpty()) {
            return;
        }
        List<Profile> profiles = List.copyOf(load(changed.stream().map(UUID::toString).toList()).values());
        index(entity, profiles);
        recheck(entity, profiles, source);
    }

    /** Records the blocking keys of created or changed records, replacing their old keys. */
    public void index(CrmEntity entity, Collection<Profile> profiles) {
        if (profiles.isEmpty()) {
            return;
        }
        jdbc.update("delete from match_key where crm_id = any(cast(? as uuid[]))",
                (Object) profiles.stream().map(Profile::id).toArray(String[]::new));
        List<Object[]> rows = new ArrayList<>();
        for (Profile p : profiles) {
            for (String key : new HashSet<>(Blocking.keys(p))) {
                rows.add(new Object[]{entity.type(), key, p.id()});
            }
        }
        INSERT_KEYS.execute(jdbc, rows);
    }

    /** Puts possible duplicates on the review list, except pairs a person declared different. */
    public void propose(CrmEntity entity, List<Match> matches, String source) {
        for (Match m : matches) {
            String low = m.a().compareTo(m.b()) < 0 ? m.a() : m.b();
            String high = low.equals(m.a()) ? m.b() : m.a();
            jdbc.update("""
                    insert into duplicate_candidate (entity_type, crm_id, other_id, score, evidence, source)
                    select ?, cast(? as uuid), cast(? as uuid), ?, cast(? as jsonb), ?
                    where not exists (select 1 from distinct_pair where entity_type = ? and low_id = cast(? as uuid) and high_id = cast(? as uuid))
                      and not exists (select 1 from duplicate_candidate where entity_type = ? and status = 'OPEN'
                                      and ((crm_id = cast(? as uuid) and other_id = cast(? as uuid)) or (crm_id = cast(? as uuid) and other_id = cast(? as uuid))))
                    on conflict (entity_type, crm_id, other_id) do update
                      set score = excluded.score, evidence = excluded.evidence, detected_at = now()
                      where duplicate_candidate.status = 'OPEN'""",
                    entity.type(), m.a(), m.b(), m.score(), evidence(m), source,
                    entity.type(), low, high, entity.type(), m.a(), m.b(), m.b(), m.a());
        }
    }

    private String evidence(Match m) {
        try {
            return json.writeValueAsString(Map.of("outcome", m.outcome().name(), "rules", m.evidence()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize match evidence", e);
        }
    }

    /** The CRM records sharing each key with the incoming records; too common keys are left out. */
    private Map<String, Set<String>> candidateIds(CrmEntity entity, List<Profile> incoming) {
        Set<String> keys = new HashSet<>();
        incoming.forEach(p -> keys.addAll(Blocking.keys(p)));
        Map<String, Set<String>> byKey = new HashMap<>();
        if (keys.isEmpty()) {
            return byKey;
        }
        int max = matcher.rules().maxBlockSize();
        BulkSql.lookup(jdbc, """
                select key, crm_id::text from match_key
                where entity_type = ? and key = any(?)
                  and key in (select key from match_key where entity_type = ? and key = any(?) group by key having count(*) <= ?)""",
                rs -> {
                    byKey.computeIfAbsent(rs.getString(1), k -> new HashSet<>()).add(rs.getString(2));
                }, entity.type(), keys.toArray(String[]::new), entity.type(), keys.toArray(String[]::new), max);
        return byKey;
    }

    private Map<String, Profile> load(Collection<String> ids) {
        Map<String, Profile> out = new HashMap<>();
        if (ids.isEmpty()) {
            return out;
        }
        BulkSql.lookup(jdbc, "select id, " + CrmEntity.ACCOUNT.canonicalSelect()
                + " from account where id = any(cast(? as uuid[])) and status <> 'MERGED'", rs -> {
                    Map<String, String> values = new HashMap<>();
                    for (String field : CrmEntity.ACCOUNT.fields().keySet()) {
                        values.put(field, rs.getString(field));
                    }
                    UUID id = rs.getObject(1, UUID.class);
                    out.put(id.toString(), profile(id, values));
                }, (Object) ids.stream().distinct().toArray(String[]::new));
        return out;
    }
}
