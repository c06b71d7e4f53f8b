package io.crmhub.transformers.match;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Finds the duplicates in a set of records: blocks them, compares the records of each block,
 * and groups the sure matches into clusters (one cluster, one real party). Possible matches are
 * returned for review and never join clusters.
 */
public class Deduplicator {

    /** The matches found (sure and possible) and the clusters of sure matches, as record indexes. */
    public record Result(List<Match> matches, int[] cluster, long comparisons, int skippedBlocks) {

        /** Records grouped by cluster; singletons included. */
        public Map<Integer, List<Integer>> clusters() {
            Map<Integer, List<Integer>> out = new HashMap<>();
            for (int i = 0; i < cluster.length; i++) {
                out.computeIfAbsent(cluster[i], k -> new ArrayList<>()).add(i);
            }
            return out;
        }
    }

    /** What to do with one incoming record, given the records it may duplicate. */
    public record Decision(Kind kind, Match best, List<Match> candidates) {

        public enum Kind {
            /** No existing record is the same party: create it. */
            NEW,
            /** One existing record is surely the same party: link to it, never create another. */
            LINK,
            /** Perhaps the same as one or more: a person decides. */
            REVIEW
        }
    }

    private final Matcher matcher;

    public Deduplicator(Matcher matcher) {
        this.matcher = matcher;
    }

    /**
     * One incoming record against the candidates the store's blocking keys found. Two
     * candidates that are both sure and score within the tie margin are not picked between:
     * both go to review.
     */
    public Decision decide(Profile incoming, List<Profile> candidates) {
        List<Match> matches = new ArrayList<>();
        for (Profile c : candidates) {
            Match m = matcher.match(incoming, c);
            if (m != null) {
                matches.add(m);
            }
        }
        return decision(matches);
    }

    /**
     * As {@link #decide(Profile, List)}, for a record compared before with some of the same
     * candidates, none of them changed since: {@code compared} holds what each of those comparisons
     * gave (null: distinct), and only the other candidates are compared, their profiles from
     * {@code profiles}. The candidates (ids) are taken in the same order: the decision is the one
     * comparing it with all of them makes.
     */
    public Decision decide(Profile incoming, List<String> candidates, java.util.function.Function<String, Profile> profiles,
                           Map<String, Match> compared) {
        List<Match> matches = new ArrayList<>();
        for (String id : candidates) {
            Match m;
            if (compared.containsKey(id)) {
                m = compared.get(id);
            } else {
                Profile c = profiles.apply(id);
                if (c == null) {
                    throw new IllegalArgumentException("candidate " + id + ": neither compared before nor profiled");
                }
                m = matcher.match(incoming, c);
            }
            if (m != null) {
                matches.add(m);
            }
        }
        return decision(matches);
    }

    private Decision decision(List<Match> matches) {
        matches.sort(Comparator.comparingDouble(Match::score).reversed());
        if (matches.isEmpty()) {
            return new Decision(Decision.Kind.NEW, null, List.of());
        }
        Match best = matches.get(0);
        boolean tie = matches.size() > 1 && matches.get(1).outcome() == Match.Outcome.SURE
                && best.score() - matches.get(1).score() <= matcher.rules().tieMargin();
        Decision.Kind kind = best.outcome() == Match.Outcome.SURE && !tie ? Decision.Kind.LINK : Decision.Kind.REVIEW;
        return new Decision(kind, best, List.copyOf(matches));
    }

    public Result run(List<Party> parties, int threads) {
        List<Profile> profiles = parties.parallelStream().map(matcher::profile).toList();
        return runProfiles(profiles, threads);
    }

    public Result runProfiles(List<Profile> profiles, int threads) {
        int n = profiles.size();
        List<List<String>> keys = profiles.parallelStream().map(Blocking::keys).toList();
        Map<String, int[]> blocks = blocks(keys);
        int maxBlock = matcher.rules().maxBlockSize();
        int skipped = (int) blocks.values().stream().filter(b -> b.length > maxBlock).count();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Part>> parts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t;
                parts.add(pool.submit(() -> comparePart(profiles, keys, blocks, first, threads, maxBlock)));
            }
            List<Match> matches = new ArrayList<>();
            long comparisons = 0;
            UnionFind clusters = new UnionFind(n);
            Map<String, Integer> index = new HashMap<>(n * 2);
            for (int i = 0; i < n; i++) {
                index.put(profiles.get(i).id(), i);
            }
            for (Future<Part> f : parts) {
                Part p = f.get();
                comparisons += p.comparisons;
                matches.addAll(p.matches);
            }
            for (Match m : matches) {
                if (m.outcome() == Match.Outcome.SURE) {
                    clusters.union(index.get(m.a()), index.get(m.b()));
                }
            }
            int[] cluster = new int[n];
            for (int i = 0; i < n; i++) {
                cluster[i] = clusters.find(i);
            }
            return new Result(matches, cluster, comparisons, skipped);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("deduplication interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("deduplication failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /** The records (by index) that share each key. */
    private static Map<String, int[]> blocks(List<List<String>> keys) {
        Map<String, int[]> blocks = new HashMap<>(keys.size() * 3);
        Map<String, Integer> sizes = new HashMap<>(keys.size() * 3);
        for (List<String> ks : keys) {
            for (String k : ks) {
                sizes.merge(k, 1, Integer::sum);
            }
        }
        sizes.forEach((k, size) -> blocks.put(k, new int[size + 1]));
        for (int i = 0; i < keys.size(); i++) {
            for (String k : keys.get(i)) {
                int[] b = blocks.get(k);
                // slot 0 counts the members added so far
                b[++b[0]] = i;
            }
        }
        blocks.replaceAll((k, b) -> Arrays.copyOfRange(b, 1, b.length));
        return blocks;
    }

    private record Part(List<Match> matches, long comparisons) {
    }

    /** Compares every record i (i % stride == first) with the later records it shares a block with. */
    private Part comparePart(List<Profile> profiles, List<List<String>> keys, Map<String, int[]> blocks, int first, int stride,
                             int maxBlock) {
        int n = profiles.size();
        int[] seen = new int[n];
        Arrays.fill(seen, -1);
        List<Match> matches = new ArrayList<>();
        long comparisons = 0;
        for (int i = first; i < n; i += stride) {
            Profile a = profiles.get(i);
            for (String k : keys.get(i)) {
                int[] block = blocks.get(k);
                if (block.length < 2 || block.length > maxBlock) {
                    continue;
                }
                for (int j : block) {
                    if (j > i && seen[j] != i) {
                        seen[j] = i;
                        comparisons++;
                        Match m = matcher.match(a, profiles.get(j));
                        if (m != null) {
                            matches.add(m);
                        }
                    }
                }
            }
        }
        return new Part(matches, comparisons);
    }

    /** Disjoint sets of record indexes. */
    private static final class UnionFind {
        private final int[] parent;

        UnionFind(int n) {
            parent = new int[n];
            for (int i = 0; i < n; i++) {
                parent[i] = i;
            }
        }

        int find(int x) {
            while (parent[x] != x) {
                parent[x] = parent[parent[x]];
                x = parent[x];
            }
            return x;
        }

        void union(int a, int b) {
            int ra = find(a);
            int rb = find(b);
            if (ra != rb) {
                parent[Math.max(ra, rb)] = Math.min(ra, rb);
            }
        }
    }
}
