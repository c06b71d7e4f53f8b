package io.crmhub.connectors.crm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.config.MatchingConfiguration;
import io.crmhub.embedded.TestServices;
import io.crmhub.transformers.match.Deduplicator.Decision;
import io.crmhub.transformers.match.Match;
import io.crmhub.transformers.match.Matcher;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A duplicate check made ahead of its transaction, while the writer's earlier transactions still
 * write, and then brought up to their commits in memory ({@link CrmDuplicates#after}), decides
 * every record exactly as a check made after those commits does: on random stores and batches of
 * a few colliding names, where the earlier transactions create records that share keys with the
 * batch and change stored records, so that records of the batch come to link, stop linking, and
 * change what the records after them in the batch are compared with.
 */
class DuplicateCheckAheadIT {

    private static final Matcher MATCHER = new Matcher(MatchingConfiguration.loadRules("../config"));
    private static final List<String> FIRST = List.of("Acme", "Nova", "Zeta", "Orion", "Alpha", "Delta", "Kappa");
    private static final List<String> SECOND = List.of("Products", "Werke", "Tools", "Handel", "Systems");
    private static final List<String> FORMS = List.of("", " GmbH", " Inc", " AG", ", Inc.", " Incorporated");
    private static final List<String> CITIES = List.of("Berlin", "Köln", "Jena");
    private static final List<String> MORE = List.of("Borealis", "Cygnus", "Draco", "Lyra", "Vega", "Pollux", "Rigel", "Sirius",
            "Altair", "Deneb", "Mira", "Capella", "Hydra", "Lupus", "Carina", "Fornax", "Indus", "Pavo", "Tucana", "Volans");

    @Test
    void aCheckBroughtUpToLaterCommitsDecidesAsACheckMadeAfterThem() {
        try (HikariDataSource db = TestServices.newCrmDataSource()) {
            CrmStoreConfiguration.migrate(db);
            JdbcTemplate jdbc = new JdbcTemplate(db);
            CrmDuplicates duplicates = new CrmDuplicates(jdbc, MATCHER, new ObjectMapper());
            int rounds = 0;
            int broughtUp = 0;
            int decidedOtherwise = 0;
            int linksChanged = 0;
            for (long seed = 1; seed <= 40; seed++) {
                Random random = new Random(seed);
                jdbc.execute("truncate match_key, duplicate_candidate, account cascade");
                List<UUID> stored = new ArrayList<>();
                for (int i = 0; i < 30; i++) {
                    stored.add(create(jdbc, duplicates, values(random, seed)));
                }
                List<CrmDuplicates.Subject> batch = new ArrayList<>();
                for (int i = 0; i < 40; i++) {
                    batch.add(duplicates.subject(CrmEntity.ACCOUNT, UUID.randomUUID(), values(random, seed)));
                }
                CrmDuplicates.Checked ahead = duplicates.checkAhead(CrmEntity.ACCOUNT, batch);

                // one or two earlier transactions of the writer commit meanwhile
                List<CrmDuplicates.Indexed> previous = new ArrayList<>();
                for (int t = 0; t < 1 + seed % 2; t++) {
                    previous.add(earlierTransaction(jdbc, duplicates, stored, random, seed));
                }

                CrmDuplicates.Checked brought = duplicates.after(previous, batch, ahead);
                List<Decision> fresh = duplicates.check(CrmEntity.ACCOUNT, batch).decisions();
                rounds++;
                if (brought == null) {
                    continue;
                }
                broughtUp++;
                for (int i = 0; i < batch.size(); i++) {
                    String record = "seed " + seed + ", record " + i + " (" + batch.get(i).profile() + ")";
                    assertThat(decided(brought.decisions().get(i))).as(record).isEqualTo(decided(fresh.get(i)));
                    if (!decided(ahead.decisions().get(i)).equals(decided(fresh.get(i)))) {
                        decidedOtherwise++;
                    }
                    if ((ahead.decisions().get(i).kind() == Decision.Kind.LINK) != (fresh.get(i).kind() == Decision.Kind.LINK)) {
                        linksChanged++;
                    }
                }
            }
            assertThat(broughtUp).as("checks brought up of %d", rounds).isGreaterThanOrEqualTo(rounds - 2);
            assertThat(decidedOtherwise).as("records the earlier commits decided otherwise").isGreaterThan(10);
            assertThat(linksChanged).as("records that came to link or stopped linking").isGreaterThan(3);
        }
    }

    /**
     * A record of the batch that comes to link to a record an earlier transaction created stops
     * being a candidate for the records after it, also for those that share with it only a key
     * that transaction did not touch (here the web site's).
     */
    @Test
    void aRecordThatComesToLinkIsNoLongerACandidateOfTheRecordsAfterIt() {
        try (HikariDataSource db = TestServices.newCrmDataSource()) {
            CrmStoreConfiguration.migrate(db);
            JdbcTemplate jdbc = new JdbcTemplate(db);
            CrmDuplicates duplicates = new CrmDuplicates(jdbc, MATCHER, new ObjectMapper());
            Map<String, String> nova = Map.of("name", "Nova Werke", "website", "www.nova-werke.de", "phone", "+4922112345",
                    "street", "Hauptstr. 1", "postalCode", "50667", "city", "Köln", "country", "DE");
            Map<String, String> sameSite = new HashMap<>(nova);
            sameSite.put("name", "Pollux Systems");
            List<CrmDuplicates.Subject> batch = List.of(duplicates.subject(CrmEntity.ACCOUNT, UUID.randomUUID(), nova),
                    duplicates.subject(CrmEntity.ACCOUNT, UUID.randomUUID(), sameSite));
            CrmDuplicates.Checked ahead = duplicates.checkAhead(CrmEntity.ACCOUNT, batch);
            assertThat(ahead.decisions().get(0).kind()).isEqualTo(Decision.Kind.NEW);
            assertThat(ahead.compared().get(1)).as("the first record is a candidate of the second").containsExactly(batch.get(0).id());

            // an earlier transaction creates the first record's company, without its web site and phone
            Map<String, String> created = new HashMap<>(nova);
            created.remove("website");
            created.remove("phone");
            UUID id = UUID.randomUUID();
            jdbc.update("insert into account (id, name, phone, street, postal_code, city, country) values (?, ?, ?, ?, ?, ?, 'DE')", id,
                    created.get("name"), created.get("phone"), created.get("street"), created.get("postalCode"), created.get("city"));
            CrmDuplicates.Subject subject = duplicates.subject(CrmEntity.ACCOUNT, id, created);
            assertThat(subject.keys()).as("it shares no key with the second").doesNotContainAnyElementsOf(batch.get(1).keys());
            CrmDuplicates.Trail trail = new CrmDuplicates.Trail();
            duplicates.indexNew(CrmEntity.ACCOUNT, List.of(subject), trail);
            duplicates.confirm(CrmEntity.ACCOUNT, duplicates.check(CrmEntity.ACCOUNT, List.of(subject)), List.of(subject), List.of(id),
                    "TEST", null, trail);

            CrmDuplicates.Checked brought = duplicates.after(List.of(trail.indexed()), batch, ahead);
            assertThat(brought.decisions().get(0).kind()).isEqualTo(Decision.Kind.LINK);
            assertThat(brought.decisions().get(0).best().b()).isEqualTo(id.toString());
            assertThat(brought.compared().get(1)).as("a record that links is nobody's candidate").isEmpty();
            List<Decision> fresh = duplicates.check(CrmEntity.ACCOUNT, batch).decisions();
            for (int i = 0; i < batch.size(); i++) {
                assertThat(decided(brought.decisions().get(i))).isEqualTo(decided(fresh.get(i)));
            }
        }
    }

    /** A decision as its outcome: its kind, its best match, and each candidate's id, score and outcome, in order. */
    private static List<Object> decided(Decision d) {
        List<Object> out = new ArrayList<>();
        out.add(d.kind());
        out.add(d.best() == null ? null : d.best().b());
        for (Match m : d.candidates()) {
            out.add(m.b() + " " + m.score() + " " + m.outcome());
        }
        return out;
    }

    /** A writer's transaction: creates ten accounts and changes three stored ones, as the writer indexes and confirms them. */
    private static CrmDuplicates.Indexed earlierTransaction(JdbcTemplate jdbc, CrmDuplicates duplicates,
                                                            List<UUID> stored, Random random, long seed) {
        CrmDuplicates.Trail trail = new CrmDuplicates.Trail();
        List<UUID> existing = new ArrayList<>(stored);
        List<UUID> ours = new ArrayList<>();
        List<Map<String, String>> drawn = new ArrayList<>();
        List<CrmDuplicates.Subject> created = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            UUID id = UUID.randomUUID();
            drawn.add(values(random, seed));
            created.add(duplicates.subject(CrmEntity.ACCOUNT, id, drawn.get(i)));
            ours.add(id);
        }
        CrmDuplicates.Checked checked = duplicates.check(CrmEntity.ACCOUNT, created);
        for (int i = 0; i < created.size(); i++) {
            insert(jdbc, ours.get(i), drawn.get(i));
        }
        stored.addAll(ours);
        duplicates.indexNew(CrmEntity.ACCOUNT, created, trail);
        List<UUID> changed = new ArrayList<>();
        java.util.Collections.shuffle(existing, random);
        for (UUID id : existing.subList(0, 3)) {
            Map<String, String> v = values(random, seed);
            jdbc.update("update account set name = ?, phone = ?, city = ?, website = ? where id = ?", v.get("name"), v.get("phone"),
                    v.get("city"), v.get("website"), id);
            changed.add(id);
        }
        duplicates.reindexAndRecheck(CrmEntity.ACCOUNT, changed, "TEST", trail);
        ours.addAll(changed);
        duplicates.confirm(CrmEntity.ACCOUNT, checked, created, ours, "TEST", null, trail);
        return trail.indexed();
    }

    /** A stored account with its blocking keys. */
    private static UUID create(JdbcTemplate jdbc, CrmDuplicates duplicates, Map<String, String> v) {
        UUID id = UUID.randomUUID();
        insert(jdbc, id, v);
        duplicates.indexNew(CrmEntity.ACCOUNT, List.of(duplicates.subject(CrmEntity.ACCOUNT, id, v)));
        return id;
    }

    private static void insert(JdbcTemplate jdbc, UUID id, Map<String, String> v) {
        jdbc.update("insert into account (id, name, phone, city, website, country) values (?, ?, ?, ?, ?, 'DE')", id, v.get("name"),
                v.get("phone"), v.get("city"), v.get("website"));
    }

    /**
     * Names of a few words that collide often (the first dozen seeds), or of many, with web sites
     * that collide instead (the rest): there a record is more often tied to another of its batch
     * by a key no earlier transaction touched.
     */
    private static Map<String, String> values(Random random, long seed) {
        Map<String, String> v = new HashMap<>();
        boolean dense = seed <= 12;
        v.put("name", pick(dense ? FIRST : MORE, random) + " " + pick(dense ? SECOND : MORE, random) + pick(FORMS, random));
        if (!dense && random.nextBoolean()) {
            v.put("website", "www." + pick(FIRST, random).toLowerCase(java.util.Locale.ROOT) + ".de");
        }
        v.put("city", pick(CITIES, random));
        v.put("country", "DE");
        if (random.nextInt(4) > 0) {
            v.put("phone", "+49301234" + (500 + random.nextInt(12)));
        }
        return v;
    }

    private static String pick(List<String> from, Random random) {
        return from.get(random.nextInt(from.size()));
    }
}
