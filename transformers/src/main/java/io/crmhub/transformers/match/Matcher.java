package io.crmhub.transformers.match;

import io.crmhub.transformers.normalize.Emails;
import io.crmhub.transformers.normalize.Phones;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Compares two records and says whether they are the same company or person: each rule that
 * applies adds or removes points, and the sum against the configured thresholds gives the
 * outcome. Every verdict carries the rules that made it.
 */
public class Matcher {

    /** A legal form as the words it is written with, folded. */
    private record LegalForm(String code, List<String> words) {
    }

    private final MatchRules rules;
    private final List<LegalForm> legalForms = new ArrayList<>();
    /** The legal forms by their first and by their last word, each list in {@link #legalForms}' order. */
    private final Map<String, List<LegalForm>> formsByFirstWord = new HashMap<>();
    private final Map<String, List<LegalForm>> formsByLastWord = new HashMap<>();
    private final Map<String, String> abbreviations = new HashMap<>();
    private final Map<String, String> streetWords = new HashMap<>();
    private final Map<String, String> nicknames = new HashMap<>();

    /** The rules the matcher applies, by their names in {@code config/matching.yml}. */
    enum Rule {
        ADDRESS_DIFFERENT("address.different"),
        ADDRESS_SAME("address.same"),
        BIRTH_CLOSE("birth.close"),
        BIRTH_DIFFERENT("birth.different"),
        BIRTH_NEAR("birth.near"),
        BIRTH_SAME("birth.same"),
        CITY_SAME("city.same"),
        COUNTRY_DIFFERENT("country.different"),
        DOMAIN_DIFFERENT("domain.different"),
        DOMAIN_SAME("domain.same"),
        EMAIL_DIFFERENT("email.different"),
        EMAIL_LOCAL_SAME("email.local-same"),
        EMAIL_SAME("email.same"),
        FAMILY_DIFFERENT("family.different"),
        FAMILY_SAME("family.same"),
        FAMILY_SIMILAR("family.similar"),
        GIVEN_DIFFERENT("given.different"),
        GIVEN_INITIAL("given.initial"),
        GIVEN_NICKNAME("given.nickname"),
        GIVEN_SAME("given.same"),
        GIVEN_SIMILAR("given.similar"),
        ID_DIFFERENT("id.different"),
        ID_SAME("id.same"),
        KIND_DIFFERENT("kind.different"),
        NAME_ACRONYM("name.acronym"),
        NAME_CONTAINED("name.contained"),
        NAME_DIFFERENT("name.different"),
        NAME_NEAR("name.near"),
        NAME_PARTIAL("name.partial"),
        NAME_SAME("name.same"),
        NAME_SAME_DISTINCTIVE("name.same-distinctive"),
        NAME_SIMILAR("name.similar"),
        NAMES_SWAPPED("names.swapped"),
        PHONE_DIFFERENT("phone.different"),
        PHONE_SAME("phone.same"),
        POSTCODE_SAME("postcode.same");

        final String key;

        Rule(String key) {
            this.key = key;
        }
    }

    /** Each rule's points, read once: looking them up by name for each rule that fired was a seventh of a comparison. */
    private final double[] points = new double[Rule.values().length];

    public Matcher(MatchRules rules) {
        this.rules = rules;
        for (Rule r : Rule.values()) {
            points[r.ordinal()] = rules.points(r.key);
        }
        rules.legalForms().forEach((code, spellings) -> {
            for (String s : spellings) {
                List<String> words = Fold.tokens(s);
                if (!words.isEmpty()) {
                    legalForms.add(new LegalForm(code, words));
                }
            }
        });
        // Longest first: "co ltd" before "ltd", "naamloze vennootschap" before anything shorter.
        legalForms.sort(Comparator.comparingInt((LegalForm f) -> f.words().size()).reversed());
        for (LegalForm f : legalForms) {
            formsByFirstWord.computeIfAbsent(f.words().get(0), w -> new ArrayList<>()).add(f);
            formsByLastWord.computeIfAbsent(f.words().get(f.words().size() - 1), w -> new ArrayList<>()).add(f);
        }
        rules.abbreviations().forEach((k, v) -> abbreviations.put(Fold.text(k), Fold.text(v)));
        rules.streetWords().forEach((k, v) -> streetWords.put(Fold.text(k), Fold.text(v)));
        for (List<String> group : rules.nicknames()) {
            String canonical = Fold.text(group.get(0));
            group.forEach(n -> nicknames.put(Fold.text(n), canonical));
        }
    }

    public MatchRules rules() {
        return rules;
    }

    /** Prepares a record for any number of comparisons. */
    public Profile profile(Party p) {
        List<String> core = List.of();
        List<String> forms = new ArrayList<>();
        if (p.kind() == Party.Kind.ORGANIZATION) {
            core = companyCore(p.name(), forms);
        }
        List<String> sounds = core.stream().map(Fold::sound).toList();
        double[] weights = new double[core.size()];
        for (int i = 0; i < core.size(); i++) {
            weights[i] = rules.genericWords().contains(core.get(i)) ? rules.genericWeight() : 1.0;
        }
        String givenFolded = Fold.text(p.givenName());
        String givenRaw = givenFolded.replace(" ", "");
        String firstGiven = givenFolded.split(" ")[0];
        String given = nicknames.getOrDefault(firstGiven, firstGiven);
        String family = Fold.text(p.familyName()).replace(" ", "");
        String email = p.email() == null ? null : Emails.canonical(p.email()).map(Matcher::withoutTag).orElse(null);
        String domain = domain(p.website(), email);
        String country = p.country() == null || p.country().isBlank() ? null : p.country().strip().toUpperCase(Locale.ROOT);
        String phone = phone(p.phone(), country);
        List<String> street = new ArrayList<>();
        String house = null;
        for (String t : Fold.tokens(p.street())) {
            if (house == null && Character.isDigit(t.charAt(0))) {
                house = t;
            } else {
                street.add(streetWords.getOrDefault(t, t));
            }
        }
        return new Profile(p, core, sounds, weights, String.join("", core), String.join(" ", core), forms,
                blankToNull(given), blankToNull(givenRaw), blankToNull(family), digits(p.birthDate()), email, domain, phone,
                street, String.join("", street), house,
                blankToNull(Fold.text(p.postcode()).replace(" ", "")), blankToNull(Fold.text(p.city())), country, p.ids());
    }

    public Match compare(Party a, Party b) {
        return compare(profile(a), profile(b));
    }

    public Match compare(Profile a, Profile b) {
        List<Evidence> evidence = new ArrayList<>(8);
        apply(a, b, (rule, detail) -> evidence.add(new Evidence(rule.key, points[rule.ordinal()], detail.get())));
        double score = 0;
        for (Evidence e : evidence) {
            score += e.points();
        }
        score = round2(score);
        return new Match(a.id(), b.id(), score, rules.outcome(score), List.copyOf(evidence));
    }

    /**
     * {@link #compare} for a pair that is not distinct; null for one that is, known by its score
     * alone. Most pairs a check compares are distinct (an incoming record meets every candidate
     * under its keys, up to max-candidates-per-key each), and writing down why for each (names,
     * scores as text) was work thrown away.
     */
    public Match match(Profile a, Profile b) {
        return rules.outcome(score(a, b)) == Match.Outcome.DISTINCT ? null : compare(a, b);
    }

    /** The score of {@link #compare}, without its evidence. */
    private double score(Profile a, Profile b) {
        double[] score = {0};
        // the points in the order compare adds them: the same sum
        apply(a, b, (rule, detail) -> score[0] += points[rule.ordinal()]);
        return round2(score[0]);
    }

    /** Where the rules that fire go, each with the why, written only if asked. */
    private interface Verdict {
        void add(Rule rule, Supplier<String> detail);
    }

    private void apply(Profile a, Profile b, Verdict evidence) {
        if (a.organization() && b.organization()) {
            companyName(a, b, evidence);
        } else if (!a.organization() && !b.organization()) {
            personName(a, b, evidence);
            birth(a, b, evidence);
        } else {
            evidence.add(Rule.KIND_DIFFERENT, () -> "a company and a person");
        }
        contact(a, b, evidence);
    }

    // ---- companies -------------------------------------------------------------------------

    /** The legal forms that end with the name's last word or start with its first, in {@link #legalForms}' order. */
    private List<LegalForm> edgeCandidates(List<String> words) {
        List<LegalForm> byLast = formsByLastWord.getOrDefault(words.get(words.size() - 1), List.of());
        List<LegalForm> byFirst = formsByFirstWord.getOrDefault(words.get(0), List.of());
        if (byFirst.isEmpty()) {
            return byLast;
        }
        if (byLast.isEmpty()) {
            return byFirst;
        }
        java.util.Set<LegalForm> both = new java.util.HashSet<>(byLast);
        both.addAll(byFirst);
        return legalForms.stream().filter(both::contains).toList();
    }

    private List<String> companyCore(String name, List<String> forms) {
        List<String> words = new ArrayList<>(Fold.tokens(name));
        List<String> all = List.copyOf(words);
        while (words.size() > 1 && rules.leadingWords().contains(words.get(0))) {
            words.remove(0);
        }
        // A fixed-width export cuts "N.V." to "N": a lone letter at the end is what is left of a legal form.
        if (words.size() > 1 && words.get(words.size() - 1).length() == 1) {
            words.remove(words.size() - 1);
        }
        boolean stripped = true;
        while (stripped && words.size() > 1) {
            stripped = false;
            // only the forms ending with the last word or starting with the first can match, in the list's order
            for (LegalForm f : edgeCandidates(words)) {
                int n = f.words().size();
                if (words.size() > n && words.subList(words.size() - n, words.size()).equals(f.words())) {
                    words.subList(words.size() - n, words.size()).clear();
                    forms.add(f.code());
                    stripped = true;
                    break;
                }
                if (words.size() > n && words.subList(0, n).equals(f.words())) {
                    words.subList(0, n).clear();
                    forms.add(f.code());
                    stripped = true;
                    break;
                }
            }
        }
        // "Biomerieux B.V., Boxtel": what follows a legal form inside the name says where, not who.
        for (int i = 1; i < words.size() - 1 && forms.size() < 4; i++) {
            for (LegalForm f : formsByFirstWord.getOrDefault(words.get(i), List.of())) {
                int n = f.words().size();
                if (n > 0 && f.words().get(0).length() > 1 && i + n <= words.size()
                        && words.subList(i, i + n).equals(f.words()) && !"co".equals(f.words().get(0))) {
                    forms.add(f.code());
                    words.subList(i, words.size()).clear();
                    break;
                }
            }
        }
        List<String> core = new ArrayList<>(words.size());
        for (String w : words) {
            String expanded = abbreviations.get(w);
            if (expanded == null) {
                core.add(w);
            } else {
                core.addAll(List.of(expanded.split(" ")));
            }
        }
        return core.isEmpty() ? all : core;
    }

    private void companyName(Profile a, Profile b, Verdict evidence) {
        if (a.core().isEmpty() || b.core().isEmpty()) {
            return;
        }
        if (a.compact().equals(b.compact())) {
            evidence.add(Rule.NAME_SAME, () -> "'" + a.compact() + "'");
            return;
        }
        Alignment al = align(a, b);
        double dice = 2 * al.matched / (a.totalWeight() + b.totalWeight());
        double containment = al.matched / Math.min(a.totalWeight(), b.totalWeight());
        Supplier<String> detail = () -> "'" + a.coreText() + "' ~ '" + b.coreText() + "': words agree "
                + round2(dice) + ", contained " + round2(containment);
        // The same letters cut into words differently ("ST Microelectronic" / "STMicroelectronics").
        boolean longAndClose = a.core().size() != b.core().size()
                && Math.min(a.compact().length(), b.compact().length()) >= 10
                && a.compact().charAt(0) == b.compact().charAt(0)
                && Similarity.editDistance(a.compact(), b.compact(), 2) <= 2;
        if (acronym(a, b) || acronym(b, a)) {
            evidence.add(Rule.NAME_ACRONYM,
                    () -> "'" + a.coreText() + "' ~ '" + b.coreText() + "': initials");
        } else if (al.distinctiveA > 0 && al.distinctiveB > 0 && al.distinctiveMatched == 0 && !longAndClose) {
            evidence.add(Rule.NAME_DIFFERENT, () -> detail.get() + ", no distinctive word in common");
        } else if (dice >= 0.92 || longAndClose) {
            evidence.add(Rule.NAME_NEAR, detail);
        } else if (al.distinctiveMatched > 0 && al.distinctiveMatched == al.distinctiveA && al.distinctiveMatched == al.distinctiveB
                && al.distinctiveExact) {
            evidence.add(Rule.NAME_SAME_DISTINCTIVE,
                    () -> detail.get() + ", only generic words differ");
        } else if (dice >= 0.8) {
            evidence.add(Rule.NAME_SIMILAR, detail);
        } else if (containment >= 0.99 && al.distinctiveMatched > 0) {
            evidence.add(Rule.NAME_CONTAINED, detail);
        } else if (dice >= 0.5 && al.distinctiveMatched > 0) {
            evidence.add(Rule.NAME_PARTIAL, detail);
        } else {
            evidence.add(Rule.NAME_DIFFERENT, detail);
        }
    }

    /** One name is the initials of the other, of three letters or more ("IBM", "International Business Machines"). */
    private static boolean acronym(Profile shorter, Profile longer) {
        if (shorter.core().size() != 1 || longer.core().size() < 3) {
            return false;
        }
        String word = shorter.core().get(0);
        if (word.length() != longer.core().size()) {
            return false;
        }
        for (int i = 0; i < word.length(); i++) {
            if (longer.core().get(i).charAt(0) != word.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static final class Alignment {
        /** every matched distinctive word is spelled alike on both sides (no typo between them) */
        boolean distinctiveExact = true;
        double matched;
        int distinctiveMatched;
        int distinctiveA;
        int distinctiveB;
    }

    /** Pairs each word of one name with its best unused counterpart in the other. */
    private Alignment align(Profile a, Profile b) {
        Alignment al = new Alignment();
        boolean[] used = new boolean[b.core().size()];
        for (double w : b.weights()) {
            if (w >= 1.0) {
                al.distinctiveB++;
            }
        }
        for (int i = 0; i < a.core().size(); i++) {
            String wa = a.core().get(i);
            if (a.weights()[i] >= 1.0) {
                al.distinctiveA++;
            }
            int best = -1;
            double bestSim = 0;
            for (int j = 0; j < b.core().size(); j++) {
                if (!used[j]) {
                    double sim = wordSimilarity(wa, a.sounds().get(i), b.core().get(j), b.sounds().get(j));
                    if (sim > bestSim) {
                        bestSim = sim;
                        best = j;
                    }
                }
            }
            if (best >= 0) {
                used[best] = true;
                al.matched += bestSim * (a.weights()[i] + b.weights()[best]) / 2;
                if (a.weights()[i] >= 1.0 && b.weights()[best] >= 1.0) {
                    al.distinctiveMatched++;
                    al.distinctiveExact &= bestSim >= 0.95;
                }
            }
        }
        return al;
    }

    /**
     * 1 for the same word, 0.95 for the same sound or one typo in a long word, 0.9 for a typo (one
     * edit from 5 letters, two from 8), else 0. Short words and words with digits must be equal:
     * Stripe is not Strix, Unit 12 is not Unit 13.
     */
    static double wordSimilarity(String a, String soundA, String b, String soundB) {
        if (a.equals(b)) {
            return 1.0;
        }
        int len = Math.min(a.length(), b.length());
        if (len < 4 || hasDigit(a) || hasDigit(b)) {
            return 0.0;
        }
        if (soundA.equals(soundB)) {
            return 0.95;
        }
        int allowed = len >= 8 ? 2 : 1;
        int distance = len >= 5 && a.charAt(0) == b.charAt(0) ? Similarity.editDistance(a, b, allowed) : allowed + 1;
        if (distance <= allowed) {
            return len >= 8 && distance == 1 ? 0.95 : 0.9;
        }
        return 0.0;
    }

    private static double round2(double x) {
        return Math.round(x * 100) / 100.0;
    }

    /** Whether a folded word (ASCII letters and digits, see {@link Fold#text}) holds a digit. */
    static boolean hasDigit(String word) {
        for (int i = 0; i < word.length(); i++) {
            char c = word.charAt(i);
            if (c >= '0' && c <= '9') {
                return true;
            }
        }
        return false;
    }

    // ---- persons ---------------------------------------------------------------------------

    private void personName(Profile a, Profile b, Verdict evidence) {
        if (a.given() != null && b.given() != null && a.family() != null && b.family() != null
                && !sameFamily(a.family(), b.family()) && sameFamily(a.given(), b.family()) && sameFamily(a.family(), b.given())) {
            evidence.add(Rule.NAMES_SWAPPED,
                    () -> a.given() + " " + a.family() + " ~ " + b.given() + " " + b.family());
            return;
        }
        if (a.given() != null && b.given() != null) {
            if (a.givenRaw().equals(b.givenRaw())) {
                evidence.add(Rule.GIVEN_SAME, () -> a.givenRaw());
            } else if (a.given().equals(b.given())) {
                evidence.add(Rule.GIVEN_NICKNAME, () -> a.givenRaw() + " = " + b.givenRaw());
            } else if ((a.givenRaw().length() == 1 || b.givenRaw().length() == 1) && a.givenRaw().charAt(0) == b.givenRaw().charAt(0)) {
                evidence.add(Rule.GIVEN_INITIAL, () -> a.givenRaw() + " ~ " + b.givenRaw());
            } else if (Similarity.jaroWinkler(a.givenRaw(), b.givenRaw()) >= 0.88 || scrambled(a.givenRaw(), b.givenRaw())) {
                evidence.add(Rule.GIVEN_SIMILAR, () -> a.givenRaw() + " ~ " + b.givenRaw());
            } else {
                evidence.add(Rule.GIVEN_DIFFERENT, () -> a.givenRaw() + " / " + b.givenRaw());
            }
        }
        if (a.family() != null && b.family() != null) {
            if (a.family().equals(b.family())) {
                evidence.add(Rule.FAMILY_SAME, () -> a.family());
            } else if (sameFamily(a.family(), b.family())) {
                evidence.add(Rule.FAMILY_SIMILAR, () -> a.family() + " ~ " + b.family());
            } else {
                evidence.add(Rule.FAMILY_DIFFERENT, () -> a.family() + " / " + b.family());
            }
        }
    }

    private static boolean sameFamily(String a, String b) {
        if (a.equals(b) || Fold.sound(a).equals(Fold.sound(b)) || scrambled(a, b)) {
            return true;
        }
        int len = Math.min(a.length(), b.length());
        return (len >= 4 && Similarity.editDistance(a, b, len >= 7 ? 2 : 1) <= (len >= 7 ? 2 : 1))
                || Similarity.jaroWinkler(a, b) >= 0.92;
    }

    /** The same letters in another order, as fast typing scrambles them ("Tyalor", "aTlylor"): from five letters on. */
    static boolean scrambled(String a, String b) {
        if (a.length() != b.length() || a.length() < 5) {
            return false;
        }
        char[] x = a.toCharArray();
        char[] y = b.toCharArray();
        java.util.Arrays.sort(x);
        java.util.Arrays.sort(y);
        return java.util.Arrays.equals(x, y);
    }

    private void birth(Profile a, Profile b, Verdict evidence) {
        if (a.birth() == null || b.birth() == null || a.birth().length() != 8 || b.birth().length() != 8) {
            return;
        }
        if (a.birth().equals(b.birth())) {
            evidence.add(Rule.BIRTH_SAME, () -> a.birth());
        } else if (nearDate(a.birth(), b.birth())) {
            evidence.add(Rule.BIRTH_NEAR, () -> a.birth() + " ~ " + b.birth());
        } else if (Math.abs(Integer.parseInt(a.birth().substring(0, 4)) - Integer.parseInt(b.birth().substring(0, 4))) <= 1) {
            evidence.add(Rule.BIRTH_CLOSE, () -> a.birth() + " ~ " + b.birth());
        } else {
            evidence.add(Rule.BIRTH_DIFFERENT, () -> a.birth() + " / " + b.birth());
        }
    }

    /** One digit wrong, two neighbours swapped, or day and month swapped: a typing error, not another date. */
    private static boolean nearDate(String a, String b) {
        if (Similarity.editDistance(a, b, 1) <= 1) {
            return true;
        }
        return a.substring(0, 4).equals(b.substring(0, 4)) && a.substring(4, 6).equals(b.substring(6, 8))
                && a.substring(6, 8).equals(b.substring(4, 6));
    }

    // ---- contact details, shared by companies and persons ----------------------------------

    private void contact(Profile a, Profile b, Verdict evidence) {
        if (a.email() != null && b.email() != null) {
            if (a.email().equals(b.email())) {
                evidence.add(Rule.EMAIL_SAME, () -> a.email());
            } else if (!a.organization() && local(a.email()).equals(local(b.email()))) {
                evidence.add(Rule.EMAIL_LOCAL_SAME, () -> a.email() + " ~ " + b.email());
            } else {
                evidence.add(Rule.EMAIL_DIFFERENT, () -> a.email() + " / " + b.email());
            }
        }
        if (a.organization() && a.domain() != null && b.domain() != null) {
            boolean same = a.domain().equals(b.domain());
            evidence.add(same ? Rule.DOMAIN_SAME : Rule.DOMAIN_DIFFERENT,
                    () -> a.domain() + (same ? "" : " / " + b.domain()));
        }
        if (a.phone() != null && b.phone() != null) {
            boolean same = a.phone().equals(b.phone());
            evidence.add(same ? Rule.PHONE_SAME : Rule.PHONE_DIFFERENT,
                    () -> a.phone() + (same ? "" : " / " + b.phone()));
        }
        if (a.country() != null && b.country() != null && !a.country().equals(b.country())) {
            evidence.add(Rule.COUNTRY_DIFFERENT, () -> a.country() + " / " + b.country());
        }
        address(a, b, evidence);
        a.ids().forEach((system, id) -> {
            String other = b.ids().get(system);
            if (other != null) {
                boolean same = other.equals(id);
                evidence.add(same ? Rule.ID_SAME : Rule.ID_DIFFERENT,
                        () -> system + " " + id + (same ? "" : " / " + other));
            }
        });
    }

    private void address(Profile a, Profile b, Verdict evidence) {
        boolean samePostcode = a.postcode() != null && a.postcode().equals(b.postcode());
        if (!a.street().isEmpty() && !b.street().isEmpty()) {
            String sa = a.streetCompact();
            String sb = b.streetCompact();
            boolean sameHouse = a.houseNumber() != null && a.houseNumber().equals(b.houseNumber());
            boolean houses = sameHouse || (a.houseNumber() == null && b.houseNumber() == null);
            boolean near = samePostcode || (a.city() != null && a.city().equals(b.city()));
            // the streets' similarity only where it decides something: most pairs differ in both
            boolean sameStreet = (houses || near) && (sa.equals(sb) || Similarity.jaroWinkler(sa, sb) >= 0.9);
            if (sameStreet && houses) {
                evidence.add(Rule.ADDRESS_SAME,
                        () -> (a.houseNumber() == null ? "" : a.houseNumber() + " ") + String.join(" ", a.street()));
            } else if (!sameStreet && near) {
                evidence.add(Rule.ADDRESS_DIFFERENT,
                        () -> String.join(" ", a.street()) + " / " + String.join(" ", b.street()));
            }
        }
        if (samePostcode) {
            evidence.add(Rule.POSTCODE_SAME, () -> a.postcode());
        }
        if (a.city() != null && b.city() != null) {
            if (a.city().equals(b.city()) || Similarity.jaroWinkler(a.city(), b.city()) >= 0.92) {
                evidence.add(Rule.CITY_SAME, () -> a.city());
            }
        }
    }

    // ---- normal forms ----------------------------------------------------------------------

    /**
     * A lower-case web address without its scheme ({@code ^[a-z]+://}) and without what follows
     * the host ({@code [/:?#].*$}), by hand: the two expressions were a tenth of the time it took
     * to profile a record.
     */
    static String host(String url) {
        for (int i = 0; i < url.length(); i++) {
            char c = url.charAt(i);
            if (c == '\n' || c == '\r' || c == '\u0085' || c == '\u2028' || c == '\u2029') {
                // "." stops at a line's end and "$" matches before the last: rare enough for the expressions
                return URL_TAIL.matcher(URL_SCHEME.matcher(url).replaceFirst("")).replaceFirst("");
            }
        }
        int start = 0;
        while (start < url.length() && url.charAt(start) >= 'a' && url.charAt(start) <= 'z') {
            start++;
        }
        start = start > 0 && url.startsWith("://", start) ? start + 3 : 0;
        for (int i = start; i < url.length(); i++) {
            char c = url.charAt(i);
            if (c == '/' || c == ':' || c == '?' || c == '#') {
                return url.substring(start, i);
            }
        }
        return url.substring(start);
    }

    private static final Pattern URL_SCHEME = Pattern.compile("^[a-z]+://");
    private static final Pattern URL_TAIL = Pattern.compile("[/:?#].*$");

    private String domain(String website, String email) {
        if (website != null && !website.isBlank()) {
            String host = host(website.strip().toLowerCase(Locale.ROOT));
            host = host.startsWith("www.") ? host.substring(4) : host;
            if (!host.isEmpty()) {
                return host;
            }
        }
        if (email != null) {
            String d = email.substring(email.indexOf('@') + 1);
            return rules.freeMailDomains().contains(d) ? null : d;
        }
        return null;
    }

    private static String phone(String raw, String country) {
        if (raw == null || raw.isBlank()) {
            return null;
        }
        if (Phones.isE164Form(raw)) {
            // Already the normal form: every phone the CRM store holds (its check), and what the
            // mapping made of a valid number, which refuses the others. Parsing it again gave the
            // same string (NormalizeTest) at a quarter of the duplicate check's CPU in a migration.
            return raw;
        }
        String e164 = Phones.toE164(raw, country).orElse(null);
        if (e164 != null) {
            return e164;
        }
        String digits = digits(raw);
        return digits == null || digits.length() < 6 ? null : digits;
    }

    private static String withoutTag(String email) {
        int at = email.indexOf('@');
        int plus = email.indexOf('+');
        return plus > 0 && plus < at ? email.substring(0, plus) + email.substring(at) : email;
    }

    private static String local(String email) {
        return email.substring(0, email.indexOf('@'));
    }

    private static String digits(String raw) {
        if (raw == null) {
            return null;
        }
        StringBuilder d = new StringBuilder();
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c >= '0' && c <= '9') {
                d.append(c);
            }
        }
        return d.isEmpty() ? null : d.toString();
    }

    private static String blankToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
