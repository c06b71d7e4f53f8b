package io.crmhub.connectors.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.crmhub.transformers.match.Deduplicator;
import io.crmhub.transformers.match.MatchRules;
import io.crmhub.transformers.match.Matcher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.Resource;

import java.util.List;
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
                        Map<String, Double> points, @JsonProperty("generic-weight") double genericWeight,
                        @JsonProperty("generic-words") Set<String> genericWords,
                        @JsonProperty("leading-words") Set<String> leadingWords,
                        Map<String, String> abbreviations, @JsonProperty("legal-forms") Map<String, List<String>> legalForms,
                        @JsonProperty("street-words") Map<String, String> streetWords,
                        @JsonProperty("free-mail-domains") Set<String> freeMailDomains, List<List<String>> nicknames) {
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

    public static MatchRules loadRules(String configDir) {
        Resource[] found = MappingConfiguration.resources(configDir, "matching.yml");
        if (found.length == 0) {
            throw new IllegalStateException("matching.yml not found in " + configDir + " nor in the defaults");
        }
        MatchingFile f = MappingConfiguration.read(found[0], MatchingFile.class);
        if (f.thresholds() == null || f.points() == null) {
            throw new IllegalStateException("matching.yml: 'thresholds' and 'points' are required");
        }
        return new MatchRules(orEmpty(f.legalForms()), orEmpty(f.abbreviations()), orEmpty(f.leadingWords()),
                orEmpty(f.genericWords()), f.genericWeight(), orEmpty(f.streetWords()),
                f.nicknames() == null ? List.of() : f.nicknames(), orEmpty(f.freeMailDomains()), f.points(),
                f.thresholds().sure(), f.thresholds().possible(), f.thresholds().tieMargin(), f.maxBlockSize());
    }

    private static <K, V> Map<K, V> orEmpty(Map<K, V> m) {
        return m == null ? Map.of() : m;
    }

    private static <T> Set<T> orEmpty(Set<T> s) {
        return s == null ? Set.of() : s;
    }
}
