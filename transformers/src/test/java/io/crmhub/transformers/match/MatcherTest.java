package io.crmhub.transformers.match;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MatcherTest {

    static final MatchRules RULES = new MatchRules(
            Map.of("inc", List.of("inc", "incorporated"), "ltd", List.of("ltd", "limited"), "nv", List.of("nv", "naamloze vennootschap"),
                    "gmbh", List.of("gmbh"), "sia", List.of("sia"), "sa", List.of("sa", "societe anonyme")),
            Map.of("intl", "international", "mfg", "manufacturing"), Set.of("the"),
            Set.of("group", "traders", "international", "manufacturing", "latvia", "latvija"), 0.25,
            Map.of("st", "street"), List.of(List.of("robert", "bob", "rob"), List.of("margaret", "peggy")),
            Set.of("gmail.com"),
            Map.ofEntries(Map.entry("name.same", 9.0), Map.entry("name.near", 8.0), Map.entry("name.similar", 5.0),
                    Map.entry("name.contained", 4.0), Map.entry("name.different", -10.0), Map.entry("domain.same", 5.0),
                    Map.entry("phone.same", 4.0), Map.entry("country.different", -6.0), Map.entry("given.same", 3.0),
                    Map.entry("given.nickname", 2.5), Map.entry("given.different", -4.0), Map.entry("family.same", 4.0),
                    Map.entry("family.similar", 2.5), Map.entry("birth.same", 4.0), Map.entry("birth.near", 1.5),
                    Map.entry("birth.different", -6.0), Map.entry("email.same", 6.0), Map.entry("names.swapped", 5.0)),
            8, 4, 2, 100, 20);

    final Matcher matcher = new Matcher(RULES);

    static Party org(String id, String name) {
        return Party.organization(id, name, null, null, null, null, null, null, null);
    }

    @Test
    void aWebAddressLosesItsSchemeAndAllAfterItsHostAsTheExpressionsDid() {
        java.util.regex.Pattern scheme = java.util.regex.Pattern.compile("^[a-z]+://");
        java.util.regex.Pattern tail = java.util.regex.Pattern.compile("[/:?#].*$");
        String alphabet = "ab:/?#.w\n";
        java.util.Random random = new java.util.Random(20261129);
        for (int i = 0; i < 500_000; i++) {
            StringBuilder s = new StringBuilder();
            int n = random.nextInt(12);
            for (int j = 0; j < n; j++) {
                s.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            String url = s.toString();
            String expected = tail.matcher(scheme.matcher(url).replaceFirst("")).replaceFirst("");
            assertThat(Matcher.host(url)).as("'%s'", url).isEqualTo(expected);
        }
        assertThat(Matcher.host("https://www.acme.com:443/about?x#y")).isEqualTo("www.acme.com");
        assertThat(Matcher.host("acme.com")).isEqualTo("acme.com");
    }

    @Test
    void legalFormsPunctuationAndCaseDoNotMakeANewCompany() {
        for (String variant : List.of("Acme Products, Inc.", "ACME PRODUCTS INC", "Acme Products, Incorporated", "The Acme Products")) {
            Match m = matcher.compare(org("a", "Acme Products"), org("b", variant));
            assertThat(m.outcome()).as(variant).isEqualTo(Match.Outcome.SURE);
            assertThat(m.evidence()).extracting(Evidence::rule).containsExactly("name.same");
        }
        assertThat(matcher.compare(org("a", "N. V. Nutricia"), org("b", "Nutricia N.V.")).outcome()).isEqualTo(Match.Outcome.SURE);
        assertThat(matcher.compare(org("a", "Société Générale S.A."), org("b", "SOCIETE GENERALE")).outcome()).isEqualTo(Match.Outcome.SURE);
        assertThat(matcher.compare(org("a", "Müller GmbH"), org("b", "Mueller GmbH")).outcome()).isEqualTo(Match.Outcome.SURE);
        assertThat(matcher.compare(org("a", "Acme Intl Mfg"), org("b", "Acme International Manufacturing")).outcome())
                .isEqualTo(Match.Outcome.SURE);
    }

    @Test
    void similarLooksAreNotEnough() {
        assertThat(matcher.compare(org("a", "Stripe, Inc."), org("b", "Strix Ltd")).outcome()).isEqualTo(Match.Outcome.DISTINCT);
        assertThat(matcher.compare(org("a", "Ramesh Traders"), org("b", "Ganesh Traders")).outcome()).isEqualTo(Match.Outcome.DISTINCT);
        assertThat(matcher.compare(org("a", "SIA Rimi Latvia"), org("b", "SIA Maxima Latvija")).outcome()).isEqualTo(Match.Outcome.DISTINCT);
        assertThat(matcher.compare(org("a", "Acme Group Ltd"), org("b", "Beta Group Ltd")).outcome()).isEqualTo(Match.Outcome.DISTINCT);
    }

    @Test
    void aTypoInALongNameIsStillTheSameCompany() {
        Match m = matcher.compare(org("a", "Schlumberger Technology B.V."), org("b", "SCLUMBERGER TECHNOLOGY BV"));
        assertThat(m.outcome()).isEqualTo(Match.Outcome.SURE);
        assertThat(m.evidence().get(0).rule()).isEqualTo("name.near");
    }

    @Test
    void corroboratingEvidenceTurnsAPossibleMatchIntoASureOne() {
        Party a = Party.organization("a", "Acme Products Europe", "https://www.acme.example/about", null, "+49 221 1234567", null, null, null, "DE");
        Party b = Party.organization("b", "Acme Products", "acme.example", null, "0221 1234567", null, null, null, "DE");
        Match m = matcher.compare(a, b);
        assertThat(m.evidence()).extracting(Evidence::rule).contains("domain.same", "phone.same");
        assertThat(m.outcome()).isEqualTo(Match.Outcome.SURE);
        Match abroad = matcher.compare(a, Party.organization("c", "Acme Products", null, null, null, null, null, null, "FR"));
        assertThat(abroad.evidence()).extracting(Evidence::rule).contains("country.different");
        assertThat(abroad.outcome()).isNotEqualTo(Match.Outcome.SURE);
    }

    @Test
    void personsMatchThroughNicknamesTyposAndSwappedNames() {
        Party robert = Party.person("1", "Robert", "Miller", "1970-03-14", null, null, null, null, null, null);
        assertThat(matcher.compare(robert, Party.person("2", "Bob", "Miller", "19700314", null, null, null, null, null, null)).outcome())
                .isEqualTo(Match.Outcome.SURE);
        assertThat(matcher.compare(robert, Party.person("3", "Robert", "Miler", "1970-03-41", null, null, null, null, null, null)).outcome())
                .isNotEqualTo(Match.Outcome.DISTINCT);
        Match swapped = matcher.compare(robert, Party.person("4", "Miller", "Robert", "1970-03-14", null, null, null, null, null, null));
        assertThat(swapped.evidence()).extracting(Evidence::rule).contains("names.swapped");
        assertThat(matcher.compare(robert, Party.person("5", "Robert", "Miller", "1985-11-02", null, null, null, null, null, null)).outcome())
                .isEqualTo(Match.Outcome.DISTINCT);
    }

    @Test
    void emailsCompareInCanonicalFormWithoutSubAddress() {
        Party a = Party.person("1", "Peggy", "Olson", null, "Peggy.Olson+crm@Sterling.example", null, null, null, null, null);
        Party b = Party.person("2", "Margaret", "Olson", null, "peggy.olson@sterling.example", null, null, null, null, null);
        Match m = matcher.compare(a, b);
        assertThat(m.evidence()).extracting(Evidence::rule).contains("given.nickname", "family.same", "email.same");
        assertThat(m.outcome()).isEqualTo(Match.Outcome.SURE);
    }

    @Test
    void matchIsCompareForEveryPairThatIsNotDistinctAndNullForEveryOtherPair() {
        List<Party> parties = List.of(
                Party.organization("a", "Acme Products Europe", "https://www.acme.example/about", null, "+49 221 1234567", "Main St 1", "50667", "Köln", "DE"),
                Party.organization("b", "Acme Products", "acme.example", null, "0221 1234567", "Main Street 1", "50667", "Koeln", "DE"),
                Party.organization("c", "ACME PRODUCTS LTD", null, "info@acme.example", null, "Main St 2", null, "Köln", "FR"),
                Party.organization("d", "Beta Products", null, null, "+49 221 1234567", null, "50667", null, "DE"),
                org("e", "The Acme Products Group"), org("f", "Acme Prodcts Inc"), org("g", "Stripe"), org("h", "Strix"),
                Party.person("1", "Robert", "Miller", "1970-03-14", "bob@miller.example", null, null, null, null, null),
                Party.person("2", "Bob", "Miller", "19700314", null, null, null, null, null, null),
                Party.person("3", "Miller", "Robert", "1970-03-41", "bob@miller.example", null, null, null, null, null),
                Party.person("4", "Robert", "Miler", "1985-11-02", null, null, null, null, null, null));
        int alike = 0;
        for (Party x : parties) {
            for (Party y : parties) {
                Profile a = matcher.profile(x);
                Profile b = matcher.profile(y);
                Match full = matcher.compare(a, b);
                Match m = matcher.match(a, b);
                if (full.outcome() == Match.Outcome.DISTINCT) {
                    assertThat(m).as(full.explain()).isNull();
                } else {
                    assertThat(m).as(full.explain()).isEqualTo(full);
                    alike++;
                }
            }
        }
        assertThat(alike).as("pairs not distinct, the record itself included").isGreaterThan(parties.size());
    }

    @Test
    void twoEquallyGoodCandidatesGoToReviewNotToAnAutomaticPick() {
        Deduplicator dedup = new Deduplicator(matcher);
        Profile incoming = matcher.profile(org("new", "Acme Products Inc"));
        Deduplicator.Decision tie = dedup.decide(incoming, List.of(matcher.profile(org("x", "Acme Products")), matcher.profile(org("y", "ACME PRODUCTS LTD"))));
        assertThat(tie.kind()).isEqualTo(Deduplicator.Decision.Kind.REVIEW);
        assertThat(tie.candidates()).hasSize(2);
        Deduplicator.Decision one = dedup.decide(incoming, List.of(matcher.profile(org("x", "Acme Products")), matcher.profile(org("z", "Beta Products"))));
        assertThat(one.kind()).isEqualTo(Deduplicator.Decision.Kind.LINK);
        assertThat(one.best().b()).isEqualTo("x");
        assertThat(dedup.decide(incoming, List.of(matcher.profile(org("z", "Beta Products")))).kind()).isEqualTo(Deduplicator.Decision.Kind.NEW);
    }

    @Test
    void aRecordDecidedAgainWithMoreCandidatesIsComparedOnlyWithTheNewOnesAndDecidesAsAFullComparison() {
        Deduplicator dedup = new Deduplicator(matcher);
        Profile incoming = matcher.profile(org("new", "Acme Products Inc"));
        Profile x = matcher.profile(org("x", "Acme Products"));
        Profile z = matcher.profile(org("z", "Beta Products"));
        Profile y = matcher.profile(org("y", "ACME PRODUCTS LTD"));
        Deduplicator.Decision first = dedup.decide(incoming, List.of(x, z));
        assertThat(first.kind()).isEqualTo(Deduplicator.Decision.Kind.LINK);
        // what the first decision compared: x surely the same, z distinct (not among its candidates)
        java.util.Map<String, Match> compared = new java.util.HashMap<>();
        compared.put("z", null);
        first.candidates().forEach(m -> compared.put(m.b(), m));
        assertThat(compared).containsOnlyKeys("x", "z");

        // y joins, only its profile at hand: the same decision as comparing with all three, in the same order (a tie: review)
        Deduplicator.Decision again = dedup.decide(incoming, List.of("x", "z", "y"), java.util.Map.of("y", y)::get, compared);
        assertThat(again).isEqualTo(dedup.decide(incoming, List.of(x, z, y)));
        assertThat(again.kind()).isEqualTo(Deduplicator.Decision.Kind.REVIEW);
        // what was compared before is taken as it was, not compared again: x said distinct stays distinct
        java.util.Map<String, Match> xDistinct = new java.util.HashMap<>(compared);
        xDistinct.put("x", null);
        assertThat(dedup.decide(incoming, List.of("x", "z"), java.util.Map.of("x", x)::get, xDistinct).kind())
                .isEqualTo(Deduplicator.Decision.Kind.NEW);
        // a candidate neither compared before nor profiled is a mistake of the caller, not a silent skip
        assertThatThrownBy(() -> dedup.decide(incoming, List.of("x", "w"), java.util.Map.of("x", x)::get, compared))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("w");
    }

    @Test
    void blockingComparesFarFewerPairsThanAllAgainstAll() {
        List<Party> parties = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            parties.add(org("o" + i, "Company " + i + " Holding " + (i % 7 == 0 ? "Inc" : "Ltd")));
            if (i % 10 == 0) {
                parties.add(org("d" + i, "COMPANY " + i + " HOLDING, " + (i % 7 == 0 ? "INC." : "LIMITED")));
            }
        }
        Deduplicator.Result r = new Deduplicator(matcher).run(parties, 2);
        assertThat(r.comparisons()).isLessThan(parties.size() * 10L);
        assertThat(r.matches().stream().filter(m -> m.outcome() == Match.Outcome.SURE).count()).isEqualTo(500);
        assertThat(r.clusters()).hasSize(5_000);
    }

    @Test
    void aNumberInANameIsItsOwnBlockingKeyNotItsSound() {
        List<String> keys = Blocking.keys(matcher.profile(org("a", "Firma 1223 GmbH")));
        assertThat(keys).contains("w:1223").doesNotContain("w:123");
        assertThat(keys).doesNotContainAnyElementsOf(Blocking.keys(matcher.profile(org("b", "Firma 123 GmbH"))).stream()
                .filter(k -> k.startsWith("w:1")).toList());
        assertThat(Blocking.keys(matcher.profile(org("c", "Firma 1223 G.m.b.H.")))).contains("w:1223");
    }

    @Test
    void foldingAndWordSimilarity() {
        assertThat(Fold.text("Ärzte & Söhne, S.A.R.L.")).isEqualTo("arzte and sohne s a r l");
        assertThat(Fold.tokens("N. V. Philips' Gloeilampenfabrieken")).containsExactly("nv", "philips", "gloeilampenfabrieken");
        assertThat(Fold.text("ООО Ромашка")).isEqualTo("ooo romashka");
        assertThat(Fold.sound("mueller")).isEqualTo(Fold.sound("muller"));
        assertThat(Similarity.editDistance("assets", "assests", 2)).isEqualTo(1);
        assertThat(Similarity.jaroWinkler("martha", "marhta")).isBetween(0.96, 0.97);
    }
}
