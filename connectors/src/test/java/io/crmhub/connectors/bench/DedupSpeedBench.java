package io.crmhub.connectors.bench;

import io.crmhub.connectors.config.MatchingConfiguration;
import io.crmhub.transformers.match.Deduplicator;
import io.crmhub.transformers.match.Match;
import io.crmhub.transformers.match.Matcher;
import io.crmhub.transformers.match.Party;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * Deduplicates N synthetic accounts (default 1M) with a realistic share of duplicates (legal
 * form, case, punctuation and typo variants, some with the same phone or web site) on this
 * machine's cores: time, peak heap, and how many planted duplicates were found. Not part of the
 * test suite: run bench/dedup-speed.
 */
class DedupSpeedBench {

    private static final int N = Integer.getInteger("bench.accounts", 1_000_000);
    private static final int THREADS = Integer.getInteger("bench.threads", Runtime.getRuntime().availableProcessors());
    private static final String[] FORMS = {"Inc", "Inc.", "Incorporated", "LLC", "Ltd", "Limited", "GmbH", "AG", "S.A.", "SARL",
            "N.V.", "B.V.", "PLC", "Corp.", "Co.", ""};
    private static final String[] GENERIC = {"Group", "Holding", "Trading", "Services", "Solutions", "Systems", "International", ""};
    private static final String[] COUNTRIES = {"DE", "FR", "NL", "GB", "US", "LV", "IT", "ES"};

    @Test
    void measure() {
        Random rnd = new Random(42);
        List<String> words = words(rnd, 200_000);
        List<Party> parties = new ArrayList<>(N);
        List<Integer> entity = new ArrayList<>(N);
        int entities = 0;
        while (parties.size() < N) {
            int e = entities++;
            // two words of a 200,000-word vocabulary: distinct companies rarely share their whole name
            String core = words.get(rnd.nextInt(words.size())) + " " + words.get(rnd.nextInt(words.size()))
                    + " " + GENERIC[rnd.nextInt(GENERIC.length)];
            String country = COUNTRIES[rnd.nextInt(COUNTRIES.length)];
            String domain = core.toLowerCase(Locale.ROOT).replaceAll("[^a-z]", "") + ".example";
            String phone = "+49 30 " + (1_000_000 + rnd.nextInt(8_999_999));
            parties.add(Party.organization("a" + parties.size(), (core + " " + FORMS[rnd.nextInt(FORMS.length)]).strip(),
                    rnd.nextBoolean() ? domain : null, null, rnd.nextBoolean() ? phone : null, null, null, null, country));
            entity.add(e);
            // about one entity in eight is entered again, once to three times
            int copies = rnd.nextInt(8) == 0 ? 1 + rnd.nextInt(3) : 0;
            for (int c = 0; c < copies && parties.size() < N; c++) {
                parties.add(Party.organization("a" + parties.size(), variant(core, rnd) + " " + FORMS[rnd.nextInt(FORMS.length)],
                        rnd.nextInt(3) == 0 ? "https://www." + domain + "/" : null, null, rnd.nextInt(3) == 0 ? phone : null,
                        null, null, null, country));
                entity.add(e);
            }
        }
        long planted = 0;
        for (int i = 1; i < N; i++) {
            for (int j = i - 1; j >= 0 && entity.get(j).equals(entity.get(i)); j--) {
                planted++;
            }
        }
        System.gc();
        resetPeaks();
        Deduplicator dedup = new Deduplicator(new Matcher(MatchingConfiguration.loadRules("../config")));
        long t0 = System.nanoTime();
        Deduplicator.Result r = dedup.run(parties, THREADS);
        double seconds = (System.nanoTime() - t0) / 1e9;
        long peak = peakHeap();

        long sure = 0, sureRight = 0, possible = 0;
        Set<Long> found = new HashSet<>();
        for (Match m : r.matches()) {
            int a = Integer.parseInt(m.a().substring(1));
            int b = Integer.parseInt(m.b().substring(1));
            if (m.outcome() == Match.Outcome.SURE) {
                sure++;
                if (entity.get(a).equals(entity.get(b))) {
                    sureRight++;
                    found.add(Math.min(a, b) * (long) N + Math.max(a, b));
                }
            } else {
                possible++;
            }
        }
        System.out.printf("%nBENCH deduplication of %,d synthetic accounts (%,d entities, %,d planted duplicate pairs), %d threads, heap max %,d MB:%n",
                N, entities, planted, THREADS, Runtime.getRuntime().maxMemory() >> 20);
        System.out.printf("BENCH   %.1f s (%,.0f records/s), peak heap %,d MB, %,d comparisons (%.1f per record), %d blocks too common to use%n",
                seconds, N / seconds, peak >> 20, r.comparisons(), (double) r.comparisons() / N, r.skippedBlocks());
        System.out.printf("BENCH   sure matches %,d (%.4f correct), planted pairs found sure %.3f, possible matches for review %,d%n%n",
                sure, sure == 0 ? 0 : (double) sureRight / sure, (double) found.size() / planted, possible);
    }

    private static String variant(String core, Random rnd) {
        String v = switch (rnd.nextInt(5)) {
            case 0 -> core.toUpperCase(Locale.ROOT);
            case 1 -> core.replace(" ", ", ");
            case 2 -> "The " + core;
            case 3 -> typo(core, rnd);
            default -> core;
        };
        return v;
    }

    private static String typo(String s, Random rnd) {
        int longest = 0;
        String[] ws = s.split(" ");
        for (int i = 1; i < ws.length; i++) {
            longest = ws[i].length() > ws[longest].length() ? i : longest;
        }
        String w = ws[longest];
        if (w.length() >= 8) {
            int p = 1 + rnd.nextInt(w.length() - 2);
            ws[longest] = w.substring(0, p) + w.substring(p + 1);
        }
        return String.join(" ", ws);
    }

    private static List<String> words(Random rnd, int n) {
        String[] syllables = {"ka", "ro", "mi", "te", "lu", "san", "ver", "dor", "bel", "tri", "on", "ax", "qua", "zen", "pol", "mar",
                "ni", "sto", "gra", "fel", "hel", "vin", "cor", "dal", "ex", "ly", "nor", "pra", "sil", "tor"};
        Set<String> out = new HashSet<>();
        while (out.size() < n) {
            StringBuilder w = new StringBuilder();
            int parts = 2 + rnd.nextInt(4);
            for (int i = 0; i < parts; i++) {
                w.append(syllables[rnd.nextInt(syllables.length)]);
            }
            out.add(Character.toUpperCase(w.charAt(0)) + w.substring(1));
        }
        return new ArrayList<>(out);
    }

    private static void resetPeaks() {
        ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
    }

    private static long peakHeap() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak;
    }
}
