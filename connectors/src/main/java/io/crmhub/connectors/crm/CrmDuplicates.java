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

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The duplicate check of the CRM store's accounts and contacts. Each record's blocking keys are
 * kept in {@code match_key}, so checking an incoming record is an indexed look-up of its keys
 * followed by the matcher on the few records found. Possible duplicates go to
 * {@code duplicate_candidate} for a person; pairs a person declared different
 * ({@code distinct_pair}) are never proposed again.
 * <p>
 * A contact is a person at an account: its keys live in its account's scope, so two contacts are
 * compared only when they belong to the same account (two ERP customers linked as one company
 * resolve to the same account, and so do their contacts). A person at two companies is two contacts.
 */
public class CrmDuplicates {

    private static final BulkSql INSERT_KEYS = BulkSql.insert("match_key",
            List.of(new Col("key_hash", "bigint"), new Col("crm_id", "uuid")));

    private static final ThreadLocal<MessageDigest> MD5 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is required of every Java platform", e);
        }
    });

    /** Proposals kept per record: a record with dozens of possible duplicates is not reviewed pair by pair. */
    static final int MAX_PROPOSALS = 5;

    private final JdbcTemplate jdbc;
    private final Matcher matcher;
    private final Deduplicator dedup;
    private final ObjectMapper json;
    /**
     * Keys the store alone already holds for more than {@code max-candidates-per-key} records, by
     * entity type. They are never looked up again (a key does not become rare again as records
     * come), nor indexed for new records: such keys are the bulk of the index and say nothing.
     * At most one per {@code max-candidates-per-key} indexed keys, so it stays small.
     */
    private final Map<String, Set<String>> commonKeys = new ConcurrentHashMap<>();

    /** Whether writes move {@code match_epoch} and {@link #confirm} looks again (see there). */
    private final boolean lockKeys;

    public CrmDuplicates(JdbcTemplate crmJdbc, Matcher matcher, ObjectMapper json) {
        this(crmJdbc, matcher, json, true);
    }

    /**
     * @param lockKeys false only for work that commits nothing (a dry run): it cannot race another
     *                 writer into creating the same record twice, and holding {@code match_epoch}
     *                 for the whole of one long transaction would stop every other writer
     */
    public CrmDuplicates(JdbcTemplate crmJdbc, Matcher matcher, ObjectMapper json, boolean lockKeys) {
        this.lockKeys = lockKeys;
        this.jdbc = crmJdbc;
        this.matcher = matcher;
        this.dedup = new Deduplicator(matcher);
        this.json = json;
    }

    /**
     * A record as the check sees it: its profile, and its blocking keys, computed once, in the
     * scope they live in (none for an account, the account for a contact).
     */
    public record Subject(Profile profile, List<String> keys) {

        static Subject of(Profile profile, String scope) {
            return new Subject(profile, Blocking.keys(profile).stream().map(k -> scope + k).distinct().toList());
        }

        public String id() {
            return profile.id();
        }
    }

    /** Whether records of this entity are checked: accounts and contacts. */
    public boolean checks(CrmEntity entity) {
        return CrmEntity.ACCOUNT.equals(entity) || CrmEntity.CONTACT.equals(entity);
    }

    /** The fields {@link #subject} reads: a change to none of them changes neither keys nor decisions. */
    private static final Map<CrmEntity, Set<String>> MATCH_FIELDS = Map.of(
            CrmEntity.CONTACT, Set.of("firstName", "lastName", "email", "phone", "account"),
            CrmEntity.ACCOUNT, Set.of("name", "website", "email", "phone", "street", "postalCode", "city", "country"));

    /** The fields whose values the duplicate check of {@code entity} reads. */
    public static Set<String> matchFields(CrmEntity entity) {
        Set<String> fields = MATCH_FIELDS.get(entity);
        if (fields == null) {
            throw new IllegalArgumentException("no duplicate check for " + entity.type());
        }
        return fields;
    }

    /** A CRM record's canonical values as the matcher reads them, with its blocking keys. */
    public Subject subject(CrmEntity entity, UUID id, Map<String, String> values) {
        return Subject.of(profile(entity, id, values), CrmEntity.CONTACT.equals(entity) ? values.get("account") + "/" : "");
    }

    /** A CRM record's canonical values as the matcher reads them: all a comparison needs. */
    private Profile profile(CrmEntity entity, UUID id, Map<String, String> values) {
        if (CrmEntity.CONTACT.equals(entity)) {
            return matcher.profile(Party.person(id.toString(), values.get("firstName"), values.get("lastName"),
                    null, values.get("email"), values.get("phone"), null, null, null, null));
        }
        if (CrmEntity.ACCOUNT.equals(entity)) {
            return matcher.profile(Party.organization(id.toString(), values.get("name"), values.get("website"),
                    values.get("email"), values.get("phone"), values.get("street"), values.get("postalCode"),
                    values.get("city"), values.get("country")));
        }
        throw new IllegalArgumentException("no duplicate check for " + entity.type());
    }

    /** The condition of a record that can still be matched: not merged into another. */
    static String live(CrmEntity entity) {
        return CrmEntity.CONTACT.equals(entity) ? "merged_into is null" : "status <> 'MERGED'";
    }

    /**
     * What a check decided, in the order of the records checked, and what it compared them with:
     * for each blocking key it used, the store's records that held it at the time of the look-up;
     * and the store's {@code match_epoch} just before that look-up. A check made ahead also keeps
     * which of those records were candidates (live) and, for each record checked, the candidates
     * it was compared with, in order: not their profiles, which a check brought up to a later
     * commit does not compare again (see {@link #after}), and which were most of the memory of
     * the batches read ahead.
     */
    public record Checked(List<Decision> decisions, Map<String, Set<String>> seen, long epoch, String entity,
                          Set<String> live, List<List<String>> compared) {

        public Checked(List<Decision> decisions, Map<String, Set<String>> seen, long epoch) {
            this(decisions, seen, epoch, null, Set.of(), List.of());
        }
    }

    /**
     * What one committed transaction of a writer did to the duplicate check's index, for the
     * writer's next transaction, checked ahead while this one was still writing: the epoch this
     * one found when it first moved {@code match_epoch} and the value it left (both -1 when it
     * moved none: it indexed nothing), the records it indexed with their new keys and values, and
     * which of them existed before (changed, not created).
     */
    public record Indexed(long from, long to, List<Subject> subjects, Set<String> changed) {

        public static final Indexed NOTHING = new Indexed(-1, -1, List.of(), Set.of());

        /**
         * Whether a check that read the epoch {@code epoch} saw this transaction's commit, or there
         * was nothing to see: the epoch only grows, and this commit left it at {@code to}.
         */
        boolean seenBy(long epoch) {
            return from < 0 || epoch >= to;
        }

        /**
         * Whether the commits between the epochs {@code checked} and {@code now} are exactly those
         * of {@code writer}'s transactions (in their order; those a check at {@code checked} saw,
         * or that indexed nothing, aside): then no other writer committed in between.
         */
        static boolean onlyCommitsBetween(List<Indexed> writer, long checked, long now) {
            long at = checked;
            for (Indexed p : writer) {
                if (p.seenBy(checked)) {
                    continue;
                }
                if (p.from != at) {
                    return false;
                }
                at = p.to;
            }
            return at == now;
        }
    }

    /** What a transaction does to the index, as it goes: becomes its {@link Indexed}. */
    public static final class Trail {
        private long from = -1;
        private long to = -1;
        private final List<Subject> subjects = new ArrayList<>();
        private final Set<String> changed = new HashSet<>();

        void moved(long before) {
            if (from < 0) {
                from = before;
            }
            to = before + 1;
        }

        void wrote(Collection<Subject> indexed, boolean existing) {
            subjects.addAll(indexed);
            if (existing) {
                indexed.forEach(s -> changed.add(s.id()));
            }
        }

        public Indexed indexed() {
            return from < 0 ? Indexed.NOTHING : new Indexed(from, to, List.copyOf(subjects), Set.copyOf(changed));
        }
    }

    /**
     * Decides for records about to be created, in order: each is compared with the store's
     * records that share a blocking key and with the records before it in the same batch (two
     * spellings of one new company in one batch become one account). Nothing is locked: before
     * its transaction commits, a writer that creates records {@linkplain #confirm confirms} that no
     * other writer committed a duplicate of them in the meantime.
     */
    public Checked check(CrmEntity entity, List<Subject> incoming) {
        return check(entity, incoming, false);
    }

    /**
     * As {@link #check}, for a check made ahead of its transaction: it keeps what it compared
     * with, so that it can be brought up to a later commit ({@link #after}).
     */
    public Checked checkAhead(CrmEntity entity, List<Subject> incoming) {
        return check(entity, incoming, true);
    }

    private Checked check(CrmEntity entity, List<Subject> incoming, boolean ahead) {
        // read before the look-up: whoever commits keys after it has moved the epoch (see confirm)
        long epoch = lockKeys ? jdbc.queryForObject("select n from match_epoch", Long.class) : 0;
        return decide(entity, incoming, epoch, ahead);
    }

    private Checked decide(CrmEntity entity, List<Subject> incoming, long epoch, boolean ahead) {
        Map<String, Integer> inBatch = inBatch(incoming);
        Map<String, Set<String>> keyed = candidateIds(entity, inBatch);
        Map<String, Profile> stored = profiles(entity, keyed.values().stream().flatMap(Set::stream).toList());
        // a check made ahead keeps its candidates' ids, not the map that holds their profiles
        Set<String> live = ahead ? Set.copyOf(stored.keySet()) : stored.keySet();
        return decide(entity.type(), incoming, keyed, live, stored, epoch, null, Set.of(), null, ahead);
    }

    private static Map<String, Integer> inBatch(List<Subject> incoming) {
        Map<String, Integer> inBatch = new HashMap<>();
        incoming.forEach(s -> s.keys().forEach(k -> inBatch.merge(k, 1, Integer::sum)));
        return inBatch;
    }

    /**
     * Decides each record against the stored candidates under its keys and the records before it
     * in the batch. A record compared with exactly the candidates it was compared with in
     * {@code before}, none of whose values {@code changed} since, keeps that decision (the
     * matcher decides the same on the same candidates); one compared with others is compared only
     * with those, the earlier comparisons taken as they were.
     * <p>
     * A record brought up to a later commit none of whose keys is {@code touched} and none of
     * whose candidates {@code changed} has the same candidates as before without gathering them
     * again: the candidates under a key change only when the key is touched, and those from the
     * batch only when a record before it under one of its keys became or stopped being a link
     * (its keys are then touched too). Gathering them for every record, at each commit a check
     * is brought up to, was most of that work.
     *
     * @param live     the stored records that are candidates (not merged into another); kept as it is
     * @param profiles their profiles: all of them for a first check; those that joined since
     *                 {@code before} for a check brought up to a later commit
     * @param touched  with {@code before}: the keys whose candidates changed since (filled on as
     *                 records change their links); null for a first check
     * @param keep     whether the result keeps what each record was compared with (a check made ahead)
     */
    private Checked decide(String entity, List<Subject> incoming, Map<String, Set<String>> keyed, Set<String> live,
                           Map<String, Profile> profiles, long epoch, Checked before, Set<String> changed, Set<String> touched,
                           boolean keep) {
        Map<String, List<Profile>> earlier = new HashMap<>();
        List<Decision> decisions = new ArrayList<>(incoming.size());
        List<List<String>> compared = keep ? new ArrayList<>(incoming.size()) : null;
        // the profiles of the records before in the batch that are candidates for those after
        Map<String, Profile> batch = new HashMap<>();
        java.util.function.Function<String, Profile> profile = id -> {
            Profile p = profiles.get(id);
            return p != null ? p : batch.get(id);
        };
        for (int i = 0; i < incoming.size(); i++) {
            Subject s = incoming.get(i);
            if (before != null && java.util.Collections.disjoint(s.keys(), touched)
                    && java.util.Collections.disjoint(before.compared().get(i), changed)) {
                // nothing it was decided on moved: the same candidates, the same decision
                settle(s, before.decisions().get(i), before.compared().get(i), decisions, compared, earlier, batch);
                continue;
            }
            Set<String> candidates = new LinkedHashSet<>();
            for (String key : s.keys()) {
                Set<String> ids = keyed.get(key);
                if (ids == null) {
                    // too common to say anything
                    continue;
                }
                ids.forEach(id -> {
                    if (live.contains(id)) {
                        candidates.add(id);
                    }
                });
                earlier.getOrDefault(key, List.of()).forEach(c -> candidates.add(c.id()));
            }
            List<String> ids = List.copyOf(candidates);
            Decision d;
            if (before != null && before.compared().get(i).equals(ids) && java.util.Collections.disjoint(ids, changed)) {
                // the same candidates, none of them changed since: the same decision
                d = before.decisions().get(i);
            } else {
                // brought up to a later commit: compared again only with the candidates that joined or changed
                d = dedup.decide(s.profile(), ids, profile, before == null ? Map.of() : unchanged(before, i, changed));
            }
            if (before != null && (d.kind() == Decision.Kind.LINK) != (before.decisions().get(i).kind() == Decision.Kind.LINK)) {
                // the records after it under its keys see it as a candidate, or no longer
                touched.addAll(s.keys());
            }
            settle(s, d, ids, decisions, compared, earlier, batch);
        }
        return keep ? new Checked(decisions, keyed, epoch, entity, live, compared) : new Checked(decisions, keyed, epoch);
    }

    /** A record decided: one that does not link is a candidate for the records after it in the batch. */
    private static void settle(Subject s, Decision d, List<String> ids, List<Decision> decisions, List<List<String>> compared,
                               Map<String, List<Profile>> earlier, Map<String, Profile> batch) {
        decisions.add(d);
        if (compared != null) {
            compared.add(ids);
        }
        if (d.kind() != Decision.Kind.LINK) {
            for (String key : s.keys()) {
                earlier.computeIfAbsent(key, k -> new ArrayList<>()).add(s.profile());
            }
            batch.put(s.id(), s.profile());
        }
    }

    /**
     * A check made ahead of its transaction, while the writer's {@code previous} transactions still
     * wrote, made again without the store as if after their commits, in their order: the records
     * each indexed join the candidates under their keys (those it changed leave their old keys,
     * with their old values), a key they make too common drops out, and only a record whose
     * candidates changed is decided again. The same {@code ahead} when none of them changes a
     * decision or what it was made on. Null when that cannot be told without the store: a record
     * one changed may have left a key the check found too common, which would then say something
     * again.
     */
    public Checked after(List<Indexed> previous, List<Subject> incoming, Checked ahead) {
        Checked checked = ahead;
        for (Indexed p : previous) {
            checked = afterOne(p, incoming, checked);
            if (checked == null) {
                return null;
            }
        }
        return checked;
    }

    private Checked afterOne(Indexed previous, List<Subject> incoming, Checked ahead) {
        if (previous.seenBy(ahead.epoch())) {
            return ahead;
        }
        Map<String, Set<String>> joining = new HashMap<>();
        Map<String, Profile> joined = new HashMap<>();
        for (Subject s : previous.subjects()) {
            for (String key : s.keys()) {
                if (ahead.seen().containsKey(key)) {
                    joining.computeIfAbsent(key, k -> new HashSet<>()).add(s.id());
                    joined.put(s.id(), s.profile());
                }
            }
        }
        Set<String> leaving = previous.changed();
        if (!leaving.isEmpty()) {
            Set<String> common = commonKeys.getOrDefault(ahead.entity(), Set.of());
            if (incoming.stream().flatMap(s -> s.keys().stream()).anyMatch(k -> !ahead.seen().containsKey(k) && !common.contains(k))) {
                return null;
            }
        }
        if (joining.isEmpty() && java.util.Collections.disjoint(ahead.live(), leaving)) {
            return ahead;
        }
        // only the keys that change are copied, and they are the ones touched
        Map<String, Set<String>> keyed = new HashMap<>(ahead.seen());
        Set<String> touched = new HashSet<>(joining.keySet());
        if (!leaving.isEmpty()) {
            keyed.replaceAll((key, ids) -> {
                if (java.util.Collections.disjoint(ids, leaving)) {
                    return ids;
                }
                touched.add(key);
                return without(ids, leaving);
            });
        }
        Set<String> live = new HashSet<>(ahead.live());
        live.removeAll(leaving);
        live.addAll(joined.keySet());
        int max = matcher.rules().maxCandidatesPerKey();
        Map<String, Integer> inBatch = inBatch(incoming);
        joining.forEach((key, ids) -> {
            Set<String> now = new HashSet<>(keyed.get(key));
            now.addAll(ids);
            if (now.size() + inBatch.getOrDefault(key, 0) > max) {
                keyed.remove(key);
            } else {
                keyed.put(key, now);
            }
        });
        return decide(ahead.entity(), incoming, keyed, java.util.Collections.unmodifiableSet(live), joined, ahead.epoch(), ahead,
                leaving, touched, true);
    }

    /**
     * What comparing the {@code i}th record with each of the candidates of {@code before} gave
     * (null: distinct), but for those {@code changed} since.
     */
    private static Map<String, Match> unchanged(Checked before, int i, Set<String> changed) {
        Map<String, Match> compared = new HashMap<>();
        for (String id : before.compared().get(i)) {
            if (!changed.contains(id)) {
                compared.put(id, null);
            }
        }
        for (Match m : before.decisions().get(i).candidates()) {
            if (compared.containsKey(m.b())) {
                compared.put(m.b(), m);
            }
        }
        return compared;
    }

    private static Set<String> without(Set<String> ids, Set<String> leaving) {
        Set<String> rest = new HashSet<>(ids);
        rest.removeAll(leaving);
        return rest;
    }

    /**
     * Confirms, last thing before the commit, that no other writer committed a duplicate of the
     * records this transaction creates since they were {@linkplain #check checked}.
     * <p>
     * Every writer that indexes blocking keys moves the store's {@code match_epoch} before it
     * commits, and holds that row's lock until it does. So from here to the commit no other such
     * writer commits, and the epoch found says whether one did since the check: if none, there is
     * nothing to look at. Otherwise the keys of the created records are looked up again, and a
     * record another writer committed meanwhile under one of them is compared with them. A sure
     * duplicate among them throws {@link ConcurrentDuplicateException}: the transaction must roll
     * back and be tried again, and then finds it. A possible one is proposed.
     * <p>
     * One row lock, whatever the number of keys: the advisory lock per key it replaces put
     * thousands of locks in one transaction, and a migration batch of 5,000 accounts ran
     * PostgreSQL (with its default lock table) out of shared memory. Writers wait for each other
     * only from this point to their commit, not for each other's whole batch.
     *
     * @param created the records this transaction creates
     * @param ours    every record this transaction indexed (created or changed): not somebody else's
     */
    public void confirm(CrmEntity entity, Checked checked, Collection<Subject> created, Collection<UUID> ours, String source) {
        confirm(entity, checked, created, ours, source, null, new Trail());
    }

    /**
     * As {@link #confirm(CrmEntity, Checked, Collection, Collection, String)}, for a check made
     * ahead of its transaction while the writer's previous transaction still wrote.
     *
     * @param previous what the writer's earlier transactions indexed, in their order, when the
     *                 check was made before they committed and then brought up to them
     *                 ({@link #after}): if their commits are the only ones since the check, there
     *                 is nothing to look at either (null: the check was made in this transaction)
     * @param trail    this transaction's moves of the epoch
     */
    public void confirm(CrmEntity entity, Checked checked, Collection<Subject> created, Collection<UUID> ours, String source,
                        List<Indexed> previous, Trail trail) {
        if (!lockKeys || created.isEmpty()) {
            return;
        }
        long before = advanceEpoch();
        trail.moved(before);
        if (before == checked.epoch() || previous != null && Indexed.onlyCommitsBetween(previous, checked.epoch(), before)) {
            return;
        }
        Set<String> keys = new java.util.TreeSet<>();
        created.forEach(s -> s.keys().stream().filter(checked.seen()::containsKey).forEach(keys::add));
        if (keys.isEmpty()) {
            return;
        }
        String[] usable = keys.toArray(String[]::new);
        int max = matcher.rules().maxCandidatesPerKey();
        Set<String> mine = new HashSet<>();
        ours.forEach(id -> mine.add(id.toString()));
        Map<String, Set<String>> now = new HashMap<>();
        // A usable key is held by at most max of this batch's records: 2 max + 1 rows show whether
        // more than max others hold it now.
        holders(entity, usable, 2 * max + 1, (key, id) -> {
            if (!mine.contains(id)) {
                now.computeIfAbsent(key, k -> new HashSet<>()).add(id);
            }
        });
        Map<String, Set<String>> newcomers = new HashMap<>();
        now.forEach((key, ids) -> {
            if (ids.size() <= max) {
                ids.stream().filter(id -> !checked.seen().get(key).contains(id))
                        .forEach(id -> newcomers.computeIfAbsent(key, k -> new HashSet<>()).add(id));
            }
        });
        if (newcomers.isEmpty()) {
            return;
        }
        Map<String, Profile> others = profiles(entity, newcomers.values().stream().flatMap(Set::stream).toList());
        List<Match> possible = new ArrayList<>();
        for (Subject s : created) {
            Map<String, Profile> candidates = new LinkedHashMap<>();
            s.keys().forEach(key -> newcomers.getOrDefault(key, Set.of()).forEach(id -> {
                Profile o = others.get(id);
                if (o != null) {
                    candidates.put(id, o);
                }
            }));
            if (candidates.isEmpty()) {
                continue;
            }
            Decision d = dedup.decide(s.profile(), List.copyOf(candidates.values()));
            if (d.kind() == Decision.Kind.LINK) {
                throw new ConcurrentDuplicateException(entity.type().toLowerCase(java.util.Locale.ROOT) + " " + d.best().b()
                        + " was created by another writer while this transaction created its duplicate");
            }
            possible.addAll(d.candidates());
        }
        propose(entity, possible, source);
    }

    /**
     * Possible duplicates of records whose matching fields changed: proposed for review, never
     * merged automatically (both records already exist and may carry their own history).
     */
    private void recheck(CrmEntity entity, List<Subject> changed, String source) {
        if (changed.isEmpty()) {
            return;
        }
        // nothing is created here, so nothing is confirmed: the epoch is not needed
        List<Decision> decisions = decide(entity, changed, 0, false).decisions();
        List<Match> others = new ArrayList<>();
        for (int i = 0; i < changed.size(); i++) {
            String self = changed.get(i).id();
            decisions.get(i).candidates().stream().filter(m -> !m.b().equals(self)).forEach(others::add);
        }
        propose(entity, others, source);
    }

    /** Re-indexes records whose values changed and proposes what they may now duplicate. */
    public void reindexAndRecheck(CrmEntity entity, Collection<UUID> changed, String source) {
        reindexAndRecheck(entity, changed, source, new Trail());
    }

    /** As {@link #reindexAndRecheck(CrmEntity, Collection, String)}, keeping the transaction's {@code trail}. */
    public void reindexAndRecheck(CrmEntity entity, Collection<UUID> changed, String source, Trail trail) {
        if (changed.isEmpty()) {
            return;
        }
        if (lockKeys) {
            // a writer creating a duplicate of a changed record meanwhile must look again (see confirm)
            trail.moved(advanceEpoch());
        }
        List<Subject> subjects = List.copyOf(load(entity, changed.stream().map(UUID::toString).toList()).values());
        index(entity, subjects, true);
        trail.wrote(subjects, true);
        recheck(entity, subjects, source);
    }

    /** Records the blocking keys of records just created (they have none yet). */
    public void indexNew(CrmEntity entity, Collection<Subject> subjects) {
        indexNew(entity, subjects, new Trail());
    }

    /** As {@link #indexNew(CrmEntity, Collection)}, keeping the transaction's {@code trail}. */
    public void indexNew(CrmEntity entity, Collection<Subject> subjects, Trail trail) {
        index(entity, subjects, false);
        trail.wrote(subjects, false);
    }

    /** Records the blocking keys of created or changed records, replacing their old keys when asked. */
    private void index(CrmEntity entity, Collection<Subject> subjects, boolean replace) {
        if (subjects.isEmpty()) {
            return;
        }
        if (replace) {
            BulkSql.change(jdbc, "delete from match_key where crm_id = any(cast(? as uuid[]))",
                    (Object) subjects.stream().map(Subject::id).toArray(String[]::new));
        }
        Set<String> common = commonKeys(entity);
        List<Object[]> rows = new ArrayList<>();
        for (Subject s : subjects) {
            for (String key : s.keys()) {
                if (!common.contains(key)) {
                    rows.add(new Object[]{keyHash(entity.type(), key), s.id()});
                }
            }
        }
        INSERT_KEYS.execute(jdbc, rows);
    }

    /**
     * Puts possible duplicates on the review list in one statement, at most
     * {@value #MAX_PROPOSALS} per record (the best), except pairs a person declared different and
     * pairs already open the other way round.
     */
    public void propose(CrmEntity entity, List<Match> matches, String source) {
        Map<String, List<Match>> byRecord = new LinkedHashMap<>();
        matches.forEach(m -> byRecord.computeIfAbsent(m.a(), k -> new ArrayList<>()).add(m));
        Map<String, Match> pairs = new LinkedHashMap<>();
        byRecord.values().forEach(list -> list.stream()
                .sorted(java.util.Comparator.comparingDouble(Match::score).reversed()).limit(MAX_PROPOSALS)
                .forEach(m -> pairs.putIfAbsent(m.a().compareTo(m.b()) < 0 ? m.a() + m.b() : m.b() + m.a(), m)));
        if (pairs.isEmpty()) {
            return;
        }
        List<Match> list = List.copyOf(pairs.values());
        jdbc.update("""
                insert into duplicate_candidate (entity_type, crm_id, other_id, score, evidence, source)
                select ?, cast(u.a as uuid), cast(u.b as uuid), cast(u.score as numeric), cast(u.evidence as jsonb), ?
                from unnest(cast(? as text[]), cast(? as text[]), cast(? as text[]), cast(? as text[])) as u(a, b, score, evidence)
                where not exists (select 1 from distinct_pair d where d.entity_type = ?
                                    and d.low_id = least(cast(u.a as uuid), cast(u.b as uuid))
                                    and d.high_id = greatest(cast(u.a as uuid), cast(u.b as uuid)))
                  and not exists (select 1 from duplicate_candidate c where c.entity_type = ? and c.status = 'OPEN'
                                    and c.crm_id = cast(u.b as uuid) and c.other_id = cast(u.a as uuid))
                on conflict (entity_type, crm_id, other_id) do update
                  set score = excluded.score, evidence = excluded.evidence, detected_at = now()
                  where duplicate_candidate.status = 'OPEN'""",
                entity.type(), source,
                list.stream().map(Match::a).toArray(String[]::new), list.stream().map(Match::b).toArray(String[]::new),
                list.stream().map(m -> Double.toString(m.score())).toArray(String[]::new),
                list.stream().map(this::evidence).toArray(String[]::new), entity.type(), entity.type());
    }

    private String evidence(Match m) {
        try {
            return json.writeValueAsString(Map.of("outcome", m.outcome().name(), "rules", m.evidence()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize match evidence", e);
        }
    }

    /**
     * The CRM records sharing each key with the incoming records, for every key that can say
     * something. A key more records share than {@code max-candidates-per-key}, in the store and
     * the batch together, says nothing: it is left out, and used neither for the store nor within
     * the batch.
     */
    private Map<String, Set<String>> candidateIds(CrmEntity entity, Map<String, Integer> inBatch) {
        Map<String, Set<String>> byKey = new HashMap<>();
        int max = matcher.rules().maxCandidatesPerKey();
        Set<String> common = commonKeys(entity);
        inBatch.forEach((key, n) -> {
            if (n > max) {
                // common in the data that comes, whatever the store holds yet
                common.add(key);
            }
        });
        String[] usable = inBatch.keySet().stream().filter(k -> !common.contains(k)).toArray(String[]::new);
        if (usable.length == 0) {
            return byKey;
        }
        for (String key : usable) {
            byKey.put(key, new HashSet<>());
        }
        // At most max + 1 records per key, so a common key costs no more than a rare one.
        holders(entity, usable, max + 1, (key, id) -> byKey.get(key).add(id));
        for (String key : usable) {
            int stored = byKey.get(key).size();
            if (stored > max) {
                common.add(key);
            }
            if (stored + inBatch.get(key) > max) {
                byKey.remove(key);
            }
        }
        return byKey;
    }

    /**
     * The records holding each key in {@code match_key}, at most {@code limit} per key, one index
     * look-up each. The store holds the keys' hashes: each row comes back with its key's position.
     */
    private void holders(CrmEntity entity, String[] keys, int limit, java.util.function.BiConsumer<String, String> keyAndId) {
        long[] hashes = new long[keys.length];
        for (int i = 0; i < keys.length; i++) {
            hashes[i] = keyHash(entity.type(), keys[i]);
        }
        BulkSql.lookup(jdbc, """
                select k.i, m.crm_id::text from unnest(cast(? as bigint[])) with ordinality k(h, i)
                cross join lateral (select crm_id from match_key where key_hash = k.h limit ?) m""",
                rs -> keyAndId.accept(keys[rs.getInt(1) - 1], rs.getString(2)), hashes, limit);
    }

    /**
     * A blocking key as {@code match_key} stores it: the first 64 bits of the MD5 of
     * {@code entityType:key} in UTF-8, as the store's {@code blocking_key_hash} computes it (V15).
     * Keys of different entity types never share a hash but by accident, and an accident only
     * brings the matcher one more candidate to compare.
     */
    static long keyHash(String entityType, String key) {
        byte[] digest = MD5.get().digest((entityType + ':' + key).getBytes(StandardCharsets.UTF_8));
        long hash = 0;
        for (int i = 0; i < Long.BYTES; i++) {
            hash = hash << 8 | (digest[i] & 0xff);
        }
        return hash;
    }

    /**
     * Moves {@code match_epoch} on, locking its row until the commit (waiting for a writer that
     * holds it), and returns its value before this transaction's move: the last committed one,
     * unless this transaction moved it already.
     */
    private long advanceEpoch() {
        return jdbc.queryForObject("update match_epoch set n = n + 1 returning n - 1", Long.class);
    }

    private Set<String> commonKeys(CrmEntity entity) {
        return commonKeys.computeIfAbsent(entity.type(), t -> ConcurrentHashMap.newKeySet());
    }

    /** Records to re-index: their profiles and keys. */
    private Map<String, Subject> load(CrmEntity entity, Collection<String> ids) {
        Map<String, Subject> out = new HashMap<>();
        select(entity, ids, (id, values) -> out.put(id.toString(), subject(entity, id, values)));
        return out;
    }

    /**
     * Candidates to compare with: their profiles only. Their blocking keys are not needed, and
     * computing them took a tenth of a migration's JVM time once the store held 300,000 accounts
     * (an incoming account is compared with 7 to 9 of them on average: the migration's log, at
     * 100,000 and 1,000,000 accounts).
     */
    private Map<String, Profile> profiles(CrmEntity entity, Collection<String> ids) {
        Map<String, Profile> out = new HashMap<>();
        select(entity, ids, (id, values) -> out.put(id.toString(), profile(entity, id, values)));
        return out;
    }

    /**
     * The live records among {@code ids}, with the values the check reads: only those (a third of
     * an account's columns it does not read), by position.
     */
    private void select(CrmEntity entity, Collection<String> ids, java.util.function.BiConsumer<UUID, Map<String, String>> idAndValues) {
        if (ids.isEmpty()) {
            return;
        }
        List<String> fields = List.copyOf(matchFields(entity));
        StringBuilder columns = new StringBuilder("id");
        fields.forEach(f -> columns.append(", ").append(entity.column(f)).append("::text"));
        BulkSql.lookup(jdbc, "select " + columns + " from " + entity.table() + " where id = any(cast(? as uuid[])) and " + live(entity),
                rs -> {
                    Map<String, String> values = new HashMap<>();
                    for (int i = 0; i < fields.size(); i++) {
                        values.put(fields.get(i), rs.getString(i + 2));
                    }
                    idAndValues.accept(rs.getObject(1, UUID.class), values);
                }, (Object) ids.stream().distinct().toArray(String[]::new));
    }
}
