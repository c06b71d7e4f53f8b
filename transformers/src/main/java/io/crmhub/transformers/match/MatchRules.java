package io.crmhub.transformers.match;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything the matcher knows that is not code: word lists, the points each rule gives and the
 * thresholds. Loaded from {@code config/matching.yml}.
 *
 * @param legalForms      legal form by its short name, with every way it is written (ISO 20275 names and abbreviations)
 * @param abbreviations   a word's abbreviations, mapped to the word (intl → international)
 * @param leadingWords    articles dropped at the start of a company name (the, de, la ...)
 * @param genericWords    words that say little about which company it is (group, traders, holding ...)
 * @param genericWeight   how much a generic word counts next to a distinctive one (1)
 * @param streetWords     street words' abbreviations, mapped to the word (st → street)
 * @param nicknames       groups of given names that are the same name (robert, bob, rob, bobby)
 * @param freeMailDomains e-mail domains that say nothing about the employer
 * @param points          points by rule name; a rule that is not listed gives none
 * @param sure            score from which a pair is the same party
 * @param possible        score from which a pair goes to review
 * @param tieMargin       two candidates scoring within this of each other are both sent to review
 * @param maxBlockSize    a blocking key shared by more records than this is too common to compare by
 * @param maxCandidatesPerKey the same for one incoming record checked against the CRM store: a
 *                        smaller bound, since the check runs inside every write
 */
public record MatchRules(Map<String, List<String>> legalForms, Map<String, String> abbreviations, Set<String> leadingWords,
                         Set<String> genericWords, double genericWeight, Map<String, String> streetWords,
                         List<List<String>> nicknames, Set<String> freeMailDomains, Map<String, Double> points,
                         double sure, double possible, double tieMargin, int maxBlockSize, int maxCandidatesPerKey) {

    public MatchRules {
        if (!(possible < sure)) {
            throw new IllegalArgumentException("matching: 'possible' (" + possible + ") must be below 'sure' (" + sure + ")");
        }
        if (maxBlockSize < 2 || maxCandidatesPerKey < 1) {
            throw new IllegalArgumentException("matching: max-block-size must be at least 2 and max-candidates-per-key at least 1");
        }
        legalForms = Map.copyOf(legalForms);
        abbreviations = Map.copyOf(abbreviations);
        leadingWords = Set.copyOf(leadingWords);
        genericWords = Set.copyOf(genericWords);
        streetWords = Map.copyOf(streetWords);
        nicknames = List.copyOf(nicknames);
        freeMailDomains = Set.copyOf(freeMailDomains);
        points = Map.copyOf(points);
    }

    public double points(String rule) {
        return points.getOrDefault(rule, 0.0);
    }

    public Match.Outcome outcome(double score) {
        return score >= sure ? Match.Outcome.SURE : score >= possible ? Match.Outcome.POSSIBLE : Match.Outcome.DISTINCT;
    }
}
