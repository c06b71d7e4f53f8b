package io.crmhub.connectors.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.crm.CrmDuplicates;
import io.crmhub.connectors.crm.DuplicateReview;
import io.crmhub.transformers.match.Deduplicator;
import io.crmhub.transformers.match.MatchRules;
import io.crmhub.transformers.match.Matcher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.Resource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Loads the duplicate-detection rules ({@code matching.yml}) from the operator's configuration
 * folder, or the defaults shipped in the jar. A malformed file stops the hub at start-up.
 */
@Configuration(proxyBeanMethods = false)
public class MatchingConfiguration {

    /** The YAML shape of {@code matching.yml}. */
    record MatchingFile(Thresholds thresholds, @JsonProperty("max-block-size") int maxBlockSize,
                        @JsonProperty("max-candidates-per-key") int maxCandidatesPerKey,
                        Map<String, Double> points, @JsonProperty("generic-weight") double genericWeight,
                        @JsonProperty("generic-words") Set<String> genericWords,
                        @JsonProperty("leading-words") Set<String> leadingWords,
                        Map<String, String> abbreviations, @JsonProperty("legal-forms") Map<String, List<String>> legalForms,
                        @JsonProperty("street-words") Map<String, String> streetWords,
                        @JsonProperty("free-mail-domains") Set<String> freeMailDomains, List<List<String>> nicknames,
                        SurvivorshipFile survivorship) {
    }

    record SurvivorshipFile(String otherwise, @JsonProperty("source-priority") List<String> sourcePriority,
                            Map<String, String> fields) {
    }

    record Thresholds(double sure, double possible, @JsonProperty("tie-margin") double tieMargin) {
    }

    @Bean
    public Matcher matcher(HubProperties props) {
        return new Matcher(loadRules(props.configDir()));
    }

    @Bean
    public Deduplicator deduplicator(Matcher matcher) {
        return new Deduplicator(matcher);
    }

    @Bean
    public CrmDuplicates crmDuplicates(NamedParameterJdbcTemplate crmJdbc, Matcher matcher, ObjectMapper json) {
        return new CrmDuplicates(crmJdbc.getJdbcTemplate(), matcher, json);
    }

    @Bean
    public DuplicateReview duplicateReview(NamedParameterJdbcTemplate crmJdbc, TransactionTemplate crmTransactions,
                                           CrmDuplicates crmDuplicates, ObjectMapper json, HubProperties props) {
        return new DuplicateReview(crmJdbc.getJdbcTemplate(), crmTransactions, crmDuplicates,
                loadSurvivorship(props.configDir()), json);
    }

    /** The survivorship rules of merges ({@code survivorship:} in matching.yml). */
    public static DuplicateReview.Survivorship loadSurvivorship(String configDir) {
        SurvivorshipFile s = file(configDir).survivorship();
        if (s == null) {
            return new DuplicateReview.Survivorship(DuplicateReview.Strategy.MOST_COMPLETE, Map.of(), List.of());
        }
        Map<String, DuplicateReview.Strategy> fields = new LinkedHashMap<>();
        if (s.fields() != null) {
            s.fields().forEach((field, strategy) -> fields.put(MappingConfiguration.camelCase(field), strategy(strategy)));
        }
        try {
            return new DuplicateReview.Survivorship(s.otherwise() == null ? DuplicateReview.Strategy.MOST_COMPLETE : strategy(s.otherwise()),
                    fields, s.sourcePriority() == null ? List.of() : s.sourcePriority());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("matching.yml survivorship: " + e.getMessage(), e);
        }
    }

    private static DuplicateReview.Strategy strategy(String name) {
        try {
            return DuplicateReview.Strategy.valueOf(name.toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("matching.yml survivorship: unknown strategy '" + name
                    + "'; known: most-complete, most-recent, source-priority", e);
        }
    }

    private static MatchingFile file(String configDir) {
        Resource[] found = MappingConfiguration.resources(configDir, "matching.yml");
        if (found.length == 0) {
            throw new IllegalStateException("matching.yml not found in " + configDir + " nor in the defaults");
        }
        return MappingConfiguration.read(found[0], MatchingFile.class);
    }

    public static MatchRules loadRules(String configDir) {
        MatchingFile f = file(configDir);
        if (f.thresholds() == null || f.points() == null) {
            throw new IllegalStateException("matching.yml: 'thresholds' and 'points' are required");
        }
        return new MatchRules(orEmpty(f.legalForms()), orEmpty(f.abbreviations()), orEmpty(f.leadingWords()),
                orEmpty(f.genericWords()), f.genericWeight(), orEmpty(f.streetWords()),
                f.nicknames() == null ? List.of() : f.nicknames(), orEmpty(f.freeMailDomains()), f.points(),
                f.thresholds().sure(), f.thresholds().possible(), f.thresholds().tieMargin(), f.maxBlockSize(),
                f.maxCandidatesPerKey() == 0 ? 50 : f.maxCandidatesPerKey());
    }

    private static <K, V> Map<K, V> orEmpty(Map<K, V> m) {
        return m == null ? Map.of() : m;
    }

    private static <T> Set<T> orEmpty(Set<T> s) {
        return s == null ? Set.of() : s;
    }
}
