package io.crmhub.connectors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.config.MappingConfiguration;
import io.crmhub.connectors.config.MatchingConfiguration;
import io.crmhub.connectors.crm.ConcurrentDuplicateException;
import io.crmhub.connectors.crm.CrmDuplicates;
import io.crmhub.connectors.crm.CrmEntity;
import io.crmhub.connectors.crm.CrmStoreConfiguration;
import io.crmhub.connectors.crm.CrmWriter;
import io.crmhub.connectors.crm.DuplicateReview;
import io.crmhub.connectors.crm.WaitingRecords;
import io.crmhub.connectors.store.QuarantineStore;
import io.crmhub.connectors.sync.InboundChanges;
import io.crmhub.connectors.sync.InboundChanges.Outcome;
import io.crmhub.embedded.TestServices;
import io.crmhub.transformers.mapping.CodeTables;
import io.crmhub.transformers.mapping.RecordMapper;
import io.crmhub.transformers.match.Deduplicator;
import io.crmhub.transformers.match.Matcher;
import io.crmhub.transformers.model.SourceRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The duplicate check in the ERP sync's write path, the review queue, and merges. */
class DuplicateSyncIT {

    private static HikariDataSource crm;
    private static JdbcTemplate jdbc;
    private static InboundChanges accounts;
    private static InboundChanges contacts;
    private static InboundChanges orders;
    private static DuplicateReview review;
    private static CrmDuplicates duplicates;
    private static TransactionTemplate tx;

    @BeforeAll
    static void setUp() {
        crm = TestServices.newCrmDataSource();
        CrmStoreConfiguration.migrate(crm);
        NamedParameterJdbcTemplate named = new NamedParameterJdbcTemplate(crm);
        jdbc = named.getJdbcTemplate();
        ObjectMapper json = new ObjectMapper().registerModule(new JavaTimeModule());
        CodeTables codes = MappingConfiguration.loadCodeTables("../config");
        WaitingRecords waiting = new WaitingRecords(named, json);
        QuarantineStore quarantine = new QuarantineStore(named, json);
        tx = new TransactionTemplate(new DataSourceTransactionManager(crm));
        duplicates = new CrmDuplicates(jdbc, new Matcher(MatchingConfiguration.loadRules("../config")), json);
        review = new DuplicateReview(jdbc, tx, duplicates, MatchingConfiguration.loadSurvivorship("../config"), json);
        Map<String, InboundChanges> in = new HashMap<>();
        for (String mapping : List.of("erp-account", "erp-contact", "erp-order")) {
            RecordMapper m = new RecordMapper(MappingConfiguration.loadMapping("../config", mapping), codes);
            CrmWriter writer = new CrmWriter(CrmEntity.named(m.mapping().entity()), jdbc, tx, waiting, json,
                    m.mapping().references(), Set.of(), Set.of(), Duration.ofSeconds(5), duplicates);
            in.put(mapping, new InboundChanges(m, writer, quarantine, waiting, tx, json, Duration.ofHours(1), Clock.systemUTC()));
        }
        accounts = in.get("erp-account");
        contacts = in.get("erp-contact");
        orders = in.get("erp-order");
    }

    @AfterAll
    static void tearDown() {
        crm.close();
    }

    private static SourceRecord account(String custno, String name, Instant at, String... more) {
        Map<String, String> cols = new HashMap<>(Map.of("CUSTNO", custno, "CNAME", name, "CCTRY", "DE", "CSTAT", "A"));
        for (int i = 0; i < more.length; i += 2) {
            cols.put(more[i], more[i + 1]);
        }
        return new SourceRecord("erp", "account", custno, at, cols);
    }

    private static long count(String sql, Object... args) {
        Long n = jdbc.queryForObject(sql, Long.class, args);
        return n == null ? 0 : n;
    }

    /** How many of the blocking keys of an account named {@code name} in Jena that contain {@code word} the record holds. */
    private static long keysHeld(String crmId, String name, String word) {
        String[] keys = duplicates.subject(CrmEntity.ACCOUNT, UUID.randomUUID(), Map.of("name", name, "city", "Jena", "country", "DE"))
                .keys().stream().filter(k -> k.contains(word)).toArray(String[]::new);
        assertThat(keys).isNotEmpty();
        return count("select count(*) from match_key where crm_id = cast(? as uuid) and key_hash in "
                + "(select blocking_key_hash('ACCOUNT', k) from unnest(cast(? as text[])) k)", crmId, keys);
    }

    private static String crmId(String custno) {
        return jdbc.queryForObject("select crm_id::text from xref where entity_type = 'ACCOUNT' and external_id = ?", String.class, custno);
    }

    @Test
    void aSecondErpCustomerForTheSameCompanyIsLinkedToItNotCreatedAgain() {
        Instant t = Instant.parse("2025-01-10T09:00:00Z");
        assertThat(accounts.apply(account("D-1", "Acme Products", t)).count(Outcome.CREATED)).isEqualTo(1);
        assertThat(accounts.apply(account("D-2", "ACME PRODUCTS, INC.", t.plusSeconds(1))).count(Outcome.LINKED)).isEqualTo(1);
        assertThat(accounts.apply(account("D-3", "Acme Products, Incorporated", t.plusSeconds(2))).count(Outcome.LINKED)).isEqualTo(1);
        assertThat(count("select count(*) from account where name ilike 'acme products%'")).isEqualTo(1);
        assertThat(crmId("D-2")).isEqualTo(crmId("D-1")).isEqualTo(crmId("D-3"));

        // in one batch: two spellings of a company the CRM does not know yet
        InboundChanges.Result batch = accounts.applyAll(List.of(account("D-4", "Zeta Tools GmbH", t),
                account("D-5", "ZETA TOOLS G.M.B.H.", t), account("D-6", "Yotta Mills AG", t)));
        assertThat(batch.count(Outcome.CREATED)).isEqualTo(2);
        assertThat(batch.count(Outcome.LINKED)).isEqualTo(1);
        assertThat(crmId("D-5")).isEqualTo(crmId("D-4"));

        // a later change under the second id lands on the one account; as the id of a duplicate
        // inside the ERP it fills what the account lacks and overwrites nothing
        assertThat(accounts.apply(account("D-2", "Acme Products Inc", t.plusSeconds(60), "CCITY", "Köln")).count(Outcome.UPDATED)).isEqualTo(1);
        assertThat(jdbc.queryForObject("select name || ' ' || city from account where id = cast(? as uuid)", String.class, crmId("D-1")))
                .isEqualTo("Acme Products Köln");
        assertThat(accounts.apply(account("D-1", "Acme Products", t.plusSeconds(70), "CCITY", "Cleveland")).count(Outcome.UPDATED))
                .as("the primary id's changes apply as always").isEqualTo(1);
        assertThat(count("select count(*) from duplicate_candidate where crm_id = cast(? as uuid) or other_id = cast(? as uuid)",
                crmId("D-1"), crmId("D-1"))).as("a sure match needs no review").isZero();
    }

    @Test
    void aPossibleDuplicateIsCreatedAndQueuedWithItsEvidenceAndADistinctDecisionIsRemembered() {
        Instant t = Instant.parse("2025-02-10T09:00:00Z");
        accounts.apply(account("P-1", "Borealis Group Ltd", t));
        assertThat(accounts.apply(account("P-2", "Borealis Holding Ltd", t.plusSeconds(1))).count(Outcome.CREATED)).isEqualTo(1);
        DuplicateReview.Candidate c = review.open(500, 0).stream()
                .filter(x -> x.entityType().equals("ACCOUNT") && x.record().get("name").startsWith("Borealis")).findFirst().orElseThrow();
        assertThat(c.other().get("name")).startsWith("Borealis");
        assertThat(c.evidence().toString()).contains("name.same-distinctive");
        assertThat(c.record().get("externalIds")).isEqualTo("ERP:P-2");

        review.distinct(c.id(), "tester");
        assertThatThrownBy(() -> review.distinct(c.id(), "tester")).hasMessageContaining("decided already");
        // the record changes, still looks alike: the pair is not proposed again
        accounts.apply(account("P-2", "Borealis Holdings Ltd", t.plusSeconds(60)));
        assertThat(count("select count(*) from duplicate_candidate where status = 'OPEN' and ((crm_id = cast(? as uuid) and other_id = cast(? as uuid)) or (crm_id = cast(? as uuid) and other_id = cast(? as uuid)))",
                crmId("P-1"), crmId("P-2"), crmId("P-2"), crmId("P-1"))).isZero();
        assertThat(count("select count(*) from distinct_pair")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void aMergeMovesChildrenAndIdsToTheSurvivorKeepsHistoryAndTheMergedRecordIsNeverResurrected() {
        Instant t = Instant.parse("2025-03-10T09:00:00Z");
        accounts.apply(account("M-1", "Orion Metals", t, "CCITY", "Riga"));
        accounts.apply(account("M-2", "Orion Metals Trading Group", t.plusSeconds(1), "CPHON", "+371 67 123456", "CCITY", "Riga"));
        contacts.apply(new SourceRecord("erp", "contact", "MC-1", t, Map.of("CONTNO", "MC-1", "CUSTNO", "M-2", "FNAME", "Ilze",
                "LNAME", "Berzina", "CROLE", "BUY", "CCTRY", "LV")));
        orders.apply(new SourceRecord("erp", "order", "MO-1", t, Map.of("ORDNO", "MO-1", "CUSTNO", "M-2", "ODATE", "20250310",
                "OSTAT", "OP", "CURR", "EUR", "OTOTL", "10.00"), List.of(Map.of("ORDNO", "MO-1", "LINNO", "1", "ITEM", "X", "QTY", "1", "PRICE", "10.00"))));
        String older = crmId("M-1");
        String newer = crmId("M-2");
        DuplicateReview.Candidate c = review.open(500, 0).stream()
                .filter(x -> x.entityType().equals("ACCOUNT") && x.record().get("name").startsWith("Orion")).findFirst().orElseThrow();

        DuplicateReview.Merged m = review.merge(c.id(), null, "tester");
        assertThat(m.survivor().toString()).as("the older record survives").isEqualTo(older);
        assertThat(m.moved()).containsEntry("contacts", 1).containsEntry("orders", 1).containsEntry("externalIds", 1);
        assertThat(jdbc.queryForObject("select phone from account where id = cast(? as uuid)", String.class, older))
                .as("the survivor had no phone: the merged record's").isEqualTo("+37167123456");
        assertThat(crmId("M-2")).isEqualTo(older);
        assertThat(jdbc.queryForObject("select status || ' ' || merged_into from account where id = cast(? as uuid)", String.class, newer))
                .isEqualTo("MERGED " + older);
        assertThat(count("select count(*) from contact where account_id = cast(? as uuid)", older)).isEqualTo(1);
        assertThat(count("select count(*) from merge_history where survivor_id = cast(? as uuid) and merged_id = cast(? as uuid) and merged_by = 'tester'",
                older, newer)).isEqualTo(1);
        assertThatThrownBy(() -> review.merge(c.id(), null, "tester")).hasMessageContaining("decided already");

        // the ERP changes the merged-away customer: the change lands on the survivor, where its id is
        // now secondary (a duplicate inside the ERP): it fills what the survivor lacks, nothing else
        assertThat(accounts.apply(account("M-2", "Orion Metals Trading Group", t.plusSeconds(120), "CCITY", "Jurmala",
                "CWWW", "www.orion-metals.example")).count(Outcome.UPDATED)).isEqualTo(1);
        assertThat(jdbc.queryForObject("select city || ' ' || website from account where id = cast(? as uuid)", String.class, older))
                .isEqualTo("Riga www.orion-metals.example");
        assertThat(jdbc.queryForObject("select city || ' ' || status || ' ' || coalesce(website, '-') from account where id = cast(? as uuid)",
                String.class, newer)).isEqualTo("Riga MERGED -");
        assertThat(jdbc.queryForList("select external_id || ':' || secondary from xref where crm_id = cast(? as uuid) order by 1", String.class, older))
                .containsExactly("M-1:false", "M-2:true");
        assertThat(count("select count(*) from account where name like 'Orion Metals%' and status <> 'MERGED'")).isEqualTo(1);
    }

    private static SourceRecord contact(String contno, String custno, String first, String last, Instant at, String... more) {
        Map<String, String> cols = new HashMap<>(Map.of("CONTNO", contno, "CUSTNO", custno, "FNAME", first, "LNAME", last,
                "CROLE", "BUY", "CCTRY", "DE"));
        for (int i = 0; i < more.length; i += 2) {
            cols.put(more[i], more[i + 1]);
        }
        return new SourceRecord("erp", "contact", contno, at, cols);
    }

    private static String contactId(String contno) {
        return jdbc.queryForObject("select crm_id::text from xref where entity_type = 'CONTACT' and external_id = ?", String.class, contno);
    }

    @Test
    void theSamePersonTwiceAtOneCompanyIsOneContactAndAtTwoCompaniesTwo() {
        Instant t = Instant.parse("2025-05-10T09:00:00Z");
        accounts.applyAll(List.of(account("K-1", "Kestrel Optics", t), account("K-2", "KESTREL OPTICS GMBH", t),
                account("K-3", "Lumen Werke AG", t)));
        assertThat(crmId("K-2")).as("the ERP's two customers are one account").isEqualTo(crmId("K-1"));

        assertThat(contacts.apply(contact("KC-1", "K-1", "Robert", "Fischer", t, "CEMAL", "r.fischer@kestrel.example"))
                .count(Outcome.CREATED)).isEqualTo(1);
        // under the ERP's other customer number of the same company, by nickname and e-mail
        assertThat(contacts.apply(contact("KC-2", "K-2", "Bob", "Fischer", t.plusSeconds(1), "CEMAL", "R.Fischer@Kestrel.example",
                "CPHON", "0221 123456")).count(Outcome.LINKED)).isEqualTo(1);
        assertThat(contactId("KC-2")).isEqualTo(contactId("KC-1"));
        assertThat(jdbc.queryForObject("select first_name || ' ' || phone from contact where id = cast(? as uuid)", String.class,
                contactId("KC-1"))).as("the linked record filled the phone it lacked, and changed no name").isEqualTo("Robert +49221123456");
        // the same person at another company is that company's contact
        assertThat(contacts.apply(contact("KC-3", "K-3", "Robert", "Fischer", t.plusSeconds(2), "CEMAL", "r.fischer@kestrel.example"))
                .count(Outcome.CREATED)).isEqualTo(1);
        // the same name with nothing to corroborate it: created, and proposed for review
        assertThat(contacts.apply(contact("KC-4", "K-1", "Robert", "Fischer", t.plusSeconds(3))).count(Outcome.CREATED)).isEqualTo(1);
        assertThat(count("select count(*) from contact where account_id = cast(? as uuid)", crmId("K-1"))).isEqualTo(2);

        DuplicateReview.Candidate c = review.open(500, 0).stream()
                .filter(x -> x.entityType().equals("CONTACT") && "Fischer".equals(x.record().get("lastName"))).findFirst().orElseThrow();
        assertThat(c.record().get("externalIds")).isEqualTo("ERP:KC-4");
        assertThat(c.other().get("id")).isEqualTo(contactId("KC-1"));
        assertThat(c.evidence().toString()).contains("given.same").contains("family.same");

        String merged = contactId("KC-4");
        jdbc.update("insert into note (concerns_type, concerns_id, body) values ('CONTACT', cast(? as uuid), 'called about the offer')", merged);
        DuplicateReview.Merged m = review.merge(c.id(), null, "tester");
        assertThat(m.survivor().toString()).isEqualTo(contactId("KC-1"));
        assertThat(m.moved()).containsEntry("notes", 1).containsEntry("externalIds", 1);
        assertThat(jdbc.queryForObject("select merged_into::text from contact where id = cast(? as uuid)", String.class, merged))
                .isEqualTo(contactId("KC-1"));
        // a later ERP change of the merged-away contact lands on the survivor and fills only its gaps
        assertThat(contacts.apply(contact("KC-4", "K-1", "Robert", "Fischer", t.plusSeconds(60), "CEMAL", "robert@elsewhere.example"))
                .count(Outcome.UNCHANGED)).isEqualTo(1);
        assertThat(count("select count(*) from contact where account_id = cast(? as uuid) and merged_into is null", crmId("K-1"))).isEqualTo(1);
        assertThat(count("select count(*) from note where concerns_id = cast(? as uuid)", contactId("KC-1"))).isEqualTo(1);
    }

    @Test
    void mergingTwoAccountsProposesTheContactsTheyBothHad() {
        Instant t = Instant.parse("2025-06-10T09:00:00Z");
        accounts.apply(account("N-1", "Nordlicht Sensorik", t, "CCITY", "Kiel"));
        accounts.apply(account("N-2", "Nordlicht Sensorik Trading Group", t.plusSeconds(1), "CCITY", "Kiel"));
        assertThat(crmId("N-2")).isNotEqualTo(crmId("N-1"));
        contacts.applyAll(List.of(contact("NC-1", "N-1", "Anna", "Schmidt", t, "CEMAL", "anna.schmidt@nordlicht.example"),
                contact("NC-2", "N-2", "Anna", "Schmidt", t, "CEMAL", "anna.schmidt@nordlicht.example")));
        assertThat(contactId("NC-2")).as("at two accounts: two contacts").isNotEqualTo(contactId("NC-1"));

        DuplicateReview.Candidate accountPair = review.open(500, 0).stream()
                .filter(x -> x.entityType().equals("ACCOUNT") && x.record().get("name").startsWith("Nordlicht")).findFirst().orElseThrow();
        assertThat(review.merge(accountPair.id(), null, "tester").moved()).containsEntry("contacts", 1);

        List<DuplicateReview.Candidate> people = review.open(500, 0).stream()
                .filter(x -> x.entityType().equals("CONTACT") && "Schmidt".equals(x.record().get("lastName"))).toList();
        assertThat(people).hasSize(1);
        assertThat(Set.of(people.get(0).record().get("id"), people.get(0).other().get("id")))
                .containsExactlyInAnyOrder(contactId("NC-1"), contactId("NC-2"));
        assertThat(people.get(0).evidence().toString()).contains("email.same");
    }

    @Test
    void aKeyTooCommonToSayAnythingIsNoLongerLookedUpNorIndexedAndDuplicatesAreStillFoundByTheirOtherKeys() {
        Instant t = Instant.parse("2025-07-10T09:00:00Z");
        // "quokka" ends up shared by 65 companies, more than max-candidates-per-key (50)
        List<SourceRecord> first = new ArrayList<>();
        for (int i = 10; i < 50; i++) {
            first.add(account("Q-" + i, "Quokka " + i, t));
        }
        List<SourceRecord> second = new ArrayList<>();
        for (int i = 50; i < 70; i++) {
            second.add(account("Q-" + i, "Quokka " + i, t));
        }
        assertThat(accounts.applyAll(first).count(Outcome.CREATED)).isEqualTo(40);
        assertThat(accounts.applyAll(second).count(Outcome.CREATED)).as("together 60: the key is skipped, not a reason to link").isEqualTo(20);
        InboundChanges.Result third = accounts.applyAll(List.of(account("Q-70", "Quokka 70", t), account("Q-71", "Quokka 71", t),
                account("Q-72", "QUOKKA 17 GMBH", t)));
        assertThat(third.count(Outcome.CREATED)).isEqualTo(2);
        assertThat(third.count(Outcome.LINKED)).as("found by its whole name").isEqualTo(1);
        assertThat(crmId("Q-72")).isEqualTo(crmId("Q-17"));
        long keysBefore = count("select count(*) from match_key where crm_id = cast(? as uuid)", crmId("Q-10"));
        assertThat(count("select count(*) from match_key where crm_id = cast(? as uuid)", crmId("Q-70")))
                .as("the store held the key more than 50 times: new records no longer index it").isEqualTo(keysBefore - 1);

        // a key more than 50 records of one batch share is common from the start
        List<SourceRecord> wombats = new ArrayList<>();
        for (int i = 10; i < 65; i++) {
            wombats.add(account("W-" + i, "Wombat " + i, t));
        }
        assertThat(accounts.applyAll(wombats).count(Outcome.CREATED)).isEqualTo(55);
        assertThat(count("select count(*) from match_key where crm_id = cast(? as uuid)", crmId("W-10"))).isEqualTo(keysBefore - 1);
    }

    @Test
    void onlyAChangeTheDuplicateCheckReadsReindexesTheRecordAndChecksItAgain() {
        Instant t = Instant.parse("2025-08-10T09:00:00Z");
        accounts.applyAll(List.of(account("RK-1", "Osprey Lenses GmbH", t, "CCITY", "Jena"),
                account("RK-2", "Merlin Photonics GmbH", t, "CCITY", "Jena")));
        String keysAndVersions = "select string_agg(key_hash || '@' || xmin::text, ',' order by key_hash) from match_key where crm_id = cast(? as uuid)";
        String before = jdbc.queryForObject(keysAndVersions, String.class, crmId("RK-1"));

        // new credit terms and status: fields the matcher does not read
        assertThat(accounts.apply(account("RK-1", "Osprey Lenses GmbH", t.plusSeconds(60), "CCITY", "Jena", "CRTRM", "N30",
                "CSTAT", "B")).count(Outcome.UPDATED)).isEqualTo(1);
        assertThat(jdbc.queryForObject("select credit_terms || ' ' || status from account where id = cast(? as uuid)", String.class,
                crmId("RK-1"))).isEqualTo("NET_30 BLOCKED");
        assertThat(jdbc.queryForObject(keysAndVersions, String.class, crmId("RK-1")))
                .as("its blocking-key rows are the very same rows, not deleted and written again").isEqualTo(before);

        // a new name: new keys, and the record is compared again with what it may now duplicate
        assertThat(accounts.apply(account("RK-1", "Merlin Photonics Jena GmbH", t.plusSeconds(120), "CCITY", "Jena"))
                .count(Outcome.UPDATED)).isEqualTo(1);
        String after = jdbc.queryForObject(keysAndVersions, String.class, crmId("RK-1"));
        assertThat(after).isNotEqualTo(before);
        assertThat(keysHeld(crmId("RK-1"), "Merlin Photonics Jena GmbH", "merlin")).as("its new name's keys").isPositive();
        assertThat(keysHeld(crmId("RK-1"), "Osprey Lenses GmbH", "osprey")).as("its old name's keys").isZero();
        assertThat(count("select count(*) from duplicate_candidate where status = 'OPEN' and ((crm_id = cast(? as uuid) and other_id = cast(? as uuid)) or (crm_id = cast(? as uuid) and other_id = cast(? as uuid)))",
                crmId("RK-1"), crmId("RK-2"), crmId("RK-2"), crmId("RK-1"))).as("proposed for review after the rename").isEqualTo(1);
    }

    @Test
    void twoWritersCreatingTheSameNewCompaniesAtOnceCreateEachOnce() throws Exception {
        Instant t = Instant.parse("2025-04-10T09:00:00Z");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<InboundChanges.Result>> results = new ArrayList<>();
        for (String side : List.of("A", "B")) {
            results.add(pool.submit((Callable<InboundChanges.Result>) () -> {
                List<SourceRecord> batch = new ArrayList<>();
                for (int i = 0; i < 30; i++) {
                    String name = "Concurrent Kettle Works " + (100 + i);
                    batch.add(account("C" + side + "-" + i, side.equals("A") ? name + " GmbH" : name.toUpperCase() + " G.M.B.H.", t));
                }
                start.await();
                return accounts.applyAll(batch);
            }));
        }
        start.countDown();
        int created = 0;
        int linked = 0;
        for (Future<InboundChanges.Result> f : results) {
            created += f.get().count(Outcome.CREATED);
            linked += f.get().count(Outcome.LINKED);
        }
        pool.shutdown();
        assertThat(created).isEqualTo(30);
        assertThat(linked).isEqualTo(30);
        assertThat(count("select count(*) from account where name ilike 'concurrent kettle%'")).isEqualTo(30);
    }

    @Test
    void anOpenBatchHoldsNoKeyAndFindsADuplicateCommittedBeforeItsCommit() throws Exception {
        Instant t = Instant.parse("2025-04-11T09:00:00Z");
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            assertThatThrownBy(() -> tx.executeWithoutResult(status -> {
                // this batch has checked its new company against the store, and not committed yet
                CrmDuplicates.Subject mine = duplicates.subject(CrmEntity.ACCOUNT, UUID.randomUUID(),
                        Map.of("name", "Interleaved Pumps GmbH", "country", "DE"));
                CrmDuplicates.Checked checked = duplicates.check(CrmEntity.ACCOUNT, List.of(mine));
                assertThat(checked.decisions().get(0).kind()).isEqualTo(Deduplicator.Decision.Kind.NEW);
                // meanwhile other writers commit, without waiting for it: a company that shares a
                // rare word with it, then the same company under another ERP id
                try {
                    assertThat(other.submit(() -> accounts.apply(account("IP-1", "Interleaved Valves AG", t))).get(20, TimeUnit.SECONDS)
                            .count(Outcome.CREATED)).isEqualTo(1);
                    assertThat(other.submit(() -> accounts.apply(account("IP-2", "INTERLEAVED PUMPS G.M.B.H.", t))).get(20, TimeUnit.SECONDS)
                            .count(Outcome.CREATED)).isEqualTo(1);
                } catch (Exception e) {
                    throw new IllegalStateException("another writer waited for the open batch", e);
                }
                duplicates.confirm(CrmEntity.ACCOUNT, checked, List.of(mine), Set.of(UUID.fromString(mine.id())), "ERP");
            })).isInstanceOf(ConcurrentDuplicateException.class).hasMessageContaining(crmId("IP-2"));
        } finally {
            other.shutdown();
        }
        assertThat(count("select count(*) from account where name ilike 'interleaved pumps%'")).isEqualTo(1);
    }

    /** A writer of ERP accounts of its own, for work that goes past {@link InboundChanges}. */
    private static final class AccountWriter {
        final RecordMapper mapper = new RecordMapper(MappingConfiguration.loadMapping("../config", "erp-account"),
                MappingConfiguration.loadCodeTables("../config"));
        final CrmWriter writer;

        AccountWriter() {
            ObjectMapper json = new ObjectMapper().registerModule(new JavaTimeModule());
            writer = new CrmWriter(CrmEntity.ACCOUNT, jdbc, tx, new WaitingRecords(new NamedParameterJdbcTemplate(crm), json), json,
                    Map.of(), Set.of(), Set.of(), Duration.ofSeconds(5), duplicates);
        }

        List<io.crmhub.transformers.mapping.MappedRecord> map(SourceRecord... records) {
            return java.util.Arrays.stream(records).map(mapper::map).toList();
        }
    }

    @Test
    void aBatchCheckedWhileThePreviousOneWasWrittenDecidesAsIfCheckedAfterItsCommit() {
        Instant t = Instant.parse("2025-04-12T09:00:00Z");
        AccountWriter w = new AccountWriter();
        w.writer.applyAll(w.map(account("RA-1", "Velmora Foods", t), account("RA-6", "Norvane Logistics", t)));
        String velmora = crmId("RA-1");
        String norvane = crmId("RA-6");
        var first = w.map(account("RA-2", "Quorvex Dynamics GmbH", t), account("RA-1", "Brightfield Instruments", t.plusSeconds(10)),
                account("RA-6", "Norvane Shipping", t.plusSeconds(10)));
        var second = w.map(account("RA-3", "QUORVEX DYNAMICS", t), account("RA-4", "Brightfield Instruments AG", t),
                account("RA-5", "Velmora Foods Ltd", t), account("RA-7", "Norvane Logistics GmbH", t));
        // a migration reads the second batch ahead while it writes the first
        CrmWriter.Ahead aheadOfFirst = w.writer.readAhead(first);
        CrmWriter.Ahead ahead = w.writer.readAhead(second);
        assertThat(ahead.checked().decisions()).extracting(Deduplicator.Decision::kind).as("what the store held before the first batch")
                .containsExactly(Deduplicator.Decision.Kind.NEW, Deduplicator.Decision.Kind.NEW, Deduplicator.Decision.Kind.LINK,
                        Deduplicator.Decision.Kind.LINK);
        CrmWriter.Batch written = tx.execute(s -> w.writer.applyInTransaction(first, aheadOfFirst, (CrmWriter.Before) null));
        assertThat(written.applied()).extracting(CrmWriter.Applied::outcome)
                .containsExactly(CrmWriter.Outcome.CREATED, CrmWriter.Outcome.UPDATED, CrmWriter.Outcome.UPDATED);

        CrmWriter.Batch next = tx.execute(s -> w.writer.applyInTransaction(second, ahead, written.indexed()));

        assertThat(next.applied()).extracting(CrmWriter.Applied::outcome).as("decided on the store as the first batch left it")
                .containsExactly(CrmWriter.Outcome.LINKED, CrmWriter.Outcome.LINKED, CrmWriter.Outcome.CREATED, CrmWriter.Outcome.CREATED);
        assertThat(crmId("RA-3")).as("the company the first batch created").isEqualTo(crmId("RA-2"));
        assertThat(crmId("RA-4")).as("the company the first batch renamed").isEqualTo(velmora);
        assertThat(crmId("RA-5")).as("no longer the name of the renamed company").isNotEqualTo(velmora);
        assertThat(crmId("RA-7")).as("the same candidate as before the first batch, with another name now").isNotEqualTo(norvane);
        assertThat(count("select count(*) from account where name ilike 'quorvex%'")).isEqualTo(1);
        assertThat(count("select count(*) from account where name ilike 'velmora%'")).isEqualTo(1);
    }

    @Test
    void aBatchCheckedAheadFindsADuplicateAnotherWriterCommittedMeanwhile() {
        Instant t = Instant.parse("2025-04-13T09:00:00Z");
        AccountWriter w = new AccountWriter();
        var batch = w.map(account("RB-1", "Quillon Marine BV", t));
        CrmWriter.Ahead ahead = w.writer.readAhead(batch);
        assertThat(ahead.checked().decisions().get(0).kind()).isEqualTo(Deduplicator.Decision.Kind.NEW);
        // not this writer's previous batch: another hub's, say
        assertThat(accounts.apply(account("RB-2", "QUILLON MARINE B.V.", t)).count(Outcome.CREATED)).isEqualTo(1);

        assertThatThrownBy(() -> tx.execute(s -> w.writer.applyInTransaction(batch, ahead, (CrmWriter.Before) null)))
                .isInstanceOf(ConcurrentDuplicateException.class).hasMessageContaining(crmId("RB-2"));
        assertThat(w.writer.applyAll(batch)).extracting(CrmWriter.Applied::outcome).as("tried again, it reads for itself")
                .containsExactly(CrmWriter.Outcome.LINKED);
        assertThat(count("select count(*) from account where name ilike 'quillon%'")).isEqualTo(1);
    }
}
