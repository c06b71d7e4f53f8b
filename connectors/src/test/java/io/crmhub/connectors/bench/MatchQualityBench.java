package io.crmhub.connectors.bench;

import io.crmhub.connectors.config.MatchingConfiguration;
import io.crmhub.transformers.match.Blocking;
import io.crmhub.transformers.match.Deduplicator;
import io.crmhub.transformers.match.Match;
import io.crmhub.transformers.match.Matcher;
import io.crmhub.transformers.match.Party;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Precision, recall and F1 of the matching engine on public labeled sets (../shared/datasets),
 * with the rules in config/matching.yml. Not part of the test suite: run bench/match-quality.
 */
class MatchQualityBench {

    private static final Path DATASETS = Path.of(System.getProperty("bench.datasets", "../../shared/datasets"));

    private final Matcher matcher = new Matcher(MatchingConfiguration.loadRules("../config"));
    private final Deduplicator dedup = new Deduplicator(matcher);

    @Test
    void measure() throws IOException {
        System.out.printf("%nBENCH duplicate detection quality, rules config/matching.yml, sets in %s%n", DATASETS);
        System.out.println("BENCH set                       rows  true pairs | match = sure or possible: P / R / F1 | sure only: P / R / F1 | comparisons");
        pairwise("febrl3", r -> Party.person(r.get("id"), r.get("given_name"), r.get("surname"), r.get("date_of_birth"),
                null, null, join(r.get("street_number"), r.get("address_1")), r.get("postcode"), r.get("suburb"), null)
                .withIds(blank(r.get("soc_sec_id")) ? Map.of() : Map.of("SSN", r.get("soc_sec_id"))));
        pairwise("splink_fake_1000", r -> Party.person(r.get("id"), r.get("first_name"), r.get("surname"), r.get("dob"),
                r.get("email"), null, null, null, r.get("city"), null));
        pairwise("fodors_zagats", r -> Party.organization(r.get("id"), r.get("name"), null, null, r.get("phone"),
                r.get("addr"), null, r.get("city"), "US"));
        clusters("dedupe_patstat_companies", r -> Party.organization(r.get("id"), r.get("name_raw"), null, null, null,
                null, null, null, null));
        mustNotMatch();
    }

    private void pairwise(String set, Function<Map<String, String>, Party> party) throws IOException {
        List<Map<String, String>> rows = Csv.read(DATASETS.resolve(set).resolve("records.csv"));
        List<Party> parties = rows.stream().map(party).toList();
        Set<String> truth = truePairs(rows);
        Deduplicator.Result result = dedup.run(parties, 2);
        Map<String, Set<String>> keys = new HashMap<>();
        parties.forEach(pt -> keys.put(pt.id(), new HashSet<>(Blocking.keys(matcher.profile(pt)))));
        long blocked = truth.stream().filter(t -> {
            String[] ids = t.split("\u0000");
            return keys.get(ids[0]).stream().anyMatch(keys.get(ids[1])::contains);
        }).count();
        Score any = score(result.matches(), truth, false);
        Score sure = score(result.matches(), truth, true);
        System.out.printf("BENCH %-24s %6d %10d | %.3f / %.3f / %.3f | %.3f / %.3f / %.3f | %,d (true pairs sharing a key: %.3f)%n",
                set, rows.size(), truth.size(), any.precision(), any.recall(), any.f1(), sure.precision(), sure.recall(), sure.f1(),
                result.comparisons(), (double) blocked / truth.size());
        if (Boolean.getBoolean("bench.errors")) {
            printErrors(result.matches(), truth, parties);
        }
    }

    private void clusters(String set, Function<Map<String, String>, Party> party) throws IOException {
        List<Map<String, String>> rows = Csv.read(DATASETS.resolve(set).resolve("records.csv"));
        List<Party> parties = rows.stream().map(party).toList();
        Deduplicator.Result result = dedup.run(parties, 2);
        int n = rows.size();
        // pairwise over the pairs the clusters imply, and B-cubed per record
        long tp = 0, predicted = 0, actual = 0;
        double bPrecision = 0, bRecall = 0;
        Map<String, List<Integer>> byEntity = new HashMap<>();
        for (int i = 0; i < n; i++) {
            byEntity.computeIfAbsent(rows.get(i).get("entity_id"), k -> new ArrayList<>()).add(i);
        }
        Map<Integer, List<Integer>> byCluster = result.clusters();
        for (int i = 0; i < n; i++) {
            List<Integer> cluster = byCluster.get(result.cluster()[i]);
            List<Integer> entity = byEntity.get(rows.get(i).get("entity_id"));
            String own = rows.get(i).get("entity_id");
            long common = cluster.stream().filter(j -> rows.get(j).get("entity_id").equals(own)).count();
            bPrecision += (double) common / cluster.size();
            bRecall += (double) common / entity.size();
            tp += common - 1;
            predicted += cluster.size() - 1;
            actual += entity.size() - 1;
        }
        double p = (double) tp / predicted, r = (double) tp / actual;
        double bp = bPrecision / n, br = bRecall / n;
        System.out.printf("BENCH %-24s %6d %10d | clusters %d (true %d) | cluster pairs P / R / F1 %.3f / %.3f / %.3f | B-cubed P / R / F1 %.3f / %.3f / %.3f%n",
                set, n, actual / 2, byCluster.size(), byEntity.size(), p, r, f1(p, r), bp, br, f1(bp, br));
        if (Boolean.getBoolean("bench.errors")) {
            printClusterErrors(rows, result, byEntity, byCluster);
        }
    }

    private void mustNotMatch() {
        String[][] distinct = {{"Stripe, Inc.", "Strix Ltd"}, {"Ramesh Traders", "Ganesh Traders"},
                {"SIA Rimi Latvia", "SIA Maxima Latvija"}, {"Acme Group Ltd", "Beta Group Ltd"}};
        String[] same = {"Acme Products", "Acme Products, Inc.", "Acme Products Inc", "Acme Products, Incorporated"};
        int falseMerges = 0;
        for (String[] pair : distinct) {
            Match m = matcher.compare(org(pair[0]), org(pair[1]));
            falseMerges += m.outcome() == Match.Outcome.DISTINCT ? 0 : 1;
            System.out.printf("BENCH must not match: %-20s / %-20s -> %s%n", pair[0], pair[1], m.explain());
        }
        int linked = 0;
        for (int i = 1; i < same.length; i++) {
            linked += matcher.compare(org(same[0]), org(same[i])).outcome() == Match.Outcome.SURE ? 1 : 0;
        }
        System.out.printf("BENCH must-not-match pairs not kept apart: %d of %d; Acme Products variants linked: %d of %d%n%n",
                falseMerges, distinct.length, linked, same.length - 1);
    }

    private static Party org(String name) {
        return Party.organization(name, name, null, null, null, null, null, null, null);
    }

    record Score(double precision, double recall, double f1) {
    }

    private static Score score(List<Match> matches, Set<String> truth, boolean sureOnly) {
        Set<String> predicted = new HashSet<>();
        for (Match m : matches) {
            if (!sureOnly || m.outcome() == Match.Outcome.SURE) {
                predicted.add(pair(m.a(), m.b()));
            }
        }
        long tp = predicted.stream().filter(truth::contains).count();
        double p = predicted.isEmpty() ? 0 : (double) tp / predicted.size();
        double r = (double) tp / truth.size();
        return new Score(p, r, f1(p, r));
    }

    private static Set<String> truePairs(List<Map<String, String>> rows) {
        Map<String, List<String>> byEntity = new HashMap<>();
        rows.forEach(r -> byEntity.computeIfAbsent(r.get("entity_id"), k -> new ArrayList<>()).add(r.get("id")));
        Set<String> pairs = new HashSet<>();
        for (List<String> ids : byEntity.values()) {
            for (int i = 0; i < ids.size(); i++) {
                for (int j = i + 1; j < ids.size(); j++) {
                    pairs.add(pair(ids.get(i), ids.get(j)));
                }
            }
        }
        return pairs;
    }

    private void printErrors(List<Match> matches, Set<String> truth, List<Party> parties) {
        Map<String, Party> byId = new HashMap<>();
        parties.forEach(p -> byId.put(p.id(), p));
        Set<String> found = new HashSet<>();
        int fp = 0;
        for (Match m : matches) {
            found.add(pair(m.a(), m.b()));
            if (!truth.contains(pair(m.a(), m.b())) && fp++ < 25) {
                System.out.println("FP " + byId.get(m.a()) + "\n   " + byId.get(m.b()) + "\n   " + m.explain());
            }
        }
        int fn = 0;
        for (String t : truth) {
            if (!found.contains(t) && fn++ < 25) {
                String[] ids = t.split("\u0000");
                System.out.println("FN " + byId.get(ids[0]) + "\n   " + byId.get(ids[1]) + "\n   "
                        + matcher.compare(byId.get(ids[0]), byId.get(ids[1])).explain());
            }
        }
    }

    private static void printClusterErrors(List<Map<String, String>> rows, Deduplicator.Result result,
                                           Map<String, List<Integer>> byEntity, Map<Integer, List<Integer>> byCluster) {
        for (List<Integer> cluster : byCluster.values()) {
            Set<String> entities = new HashSet<>();
            cluster.forEach(i -> entities.add(rows.get(i).get("entity_id")));
            if (entities.size() > 1) {
                System.out.println("MIXED cluster of " + cluster.size() + ": " + cluster.stream().limit(12).map(i -> rows.get(i).get("name_raw") + "[" + rows.get(i).get("entity_id") + "]").toList());
            }
        }
        for (List<Integer> entity : byEntity.values()) {
            Map<Integer, List<String>> parts = new HashMap<>();
            entity.forEach(i -> parts.computeIfAbsent(result.cluster()[i], k -> new ArrayList<>()).add(rows.get(i).get("name_raw")));
            if (parts.size() > 1) {
                System.out.println("SPLIT entity in " + parts.size() + ": " + parts.values().stream().map(l -> l.size() + "x " + l.get(0)).limit(10).toList());
            }
        }
    }

    private static String pair(String a, String b) {
        return a.compareTo(b) < 0 ? a + "\u0000" + b : b + "\u0000" + a;
    }

    private static double f1(double p, double r) {
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    private static String join(String a, String b) {
        return ((a == null ? "" : a) + " " + (b == null ? "" : b)).strip();
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
