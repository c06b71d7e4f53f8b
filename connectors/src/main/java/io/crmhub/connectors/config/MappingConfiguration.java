package io.crmhub.connectors.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.crmhub.transformers.mapping.CodeTables;
import io.crmhub.transformers.mapping.EntityMapping;
import io.crmhub.transformers.mapping.FieldRule;
import io.crmhub.transformers.mapping.FieldType;
import io.crmhub.transformers.mapping.JoinSpec;
import io.crmhub.transformers.mapping.LineMapping;
import io.crmhub.transformers.mapping.RecordMapper;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Loads field mappings ({@code mappings/*.yml}) and code tables ({@code code-tables/*.yml}) from the
 * operator's configuration folder ({@code hub.config-dir}), falling back to the defaults shipped
 * in the jar. A malformed file stops the hub at start-up with the file's name.
 */
@Configuration(proxyBeanMethods = false)
public class MappingConfiguration {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .setPropertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** The YAML shape of a mapping file. */
    record MappingFile(String source, String entity, String table, String key,
                       @JsonProperty("changed-at") String changedAt, @JsonProperty("changed-by") String changedBy,
                       LinkedHashMap<String, RuleFile> fields, JoinSpec join, LinesFile lines) {
    }

    record RuleFile(String column, FieldType type, String format, @JsonProperty("code-table") String codeTable,
                    boolean required, @JsonProperty("max-length") int maxLength, String references,
                    java.math.BigDecimal minimum, @JsonProperty("exclusive-minimum") java.math.BigDecimal exclusiveMinimum,
                    String digits) {

        FieldRule rule() {
            return new FieldRule(column, type, format, codeTable, required, maxLength, references, minimum, exclusiveMinimum,
                    digits == null ? null : FieldRule.Digits.of(digits));
        }
    }

    record LinesFile(String table, @JsonProperty("parent-key") String parentKey, @JsonProperty("order-by") String orderBy,
                     LinkedHashMap<String, RuleFile> fields) {
    }

    @Bean
    public CodeTables codeTables(HubProperties props) {
        return loadCodeTables(props.configDir());
    }

    /** Reads every {@code code-tables/<name>.yml}. */
    public static CodeTables loadCodeTables(String configDir) {
        Map<String, Map<String, String>> tables = new TreeMap<>();
        for (Resource r : resources(configDir, "code-tables/*.yml")) {
            String name = r.getFilename().replaceFirst("\\.yml$", "");
            tables.put(name, read(r, CodeTableFile.class).codes());
        }
        return new CodeTables(tables);
    }

    record CodeTableFile(String description, LinkedHashMap<String, String> codes) {
    }

    @Bean
    public RecordMapper erpAccountMapper(HubProperties props, CodeTables codeTables) {
        return new RecordMapper(loadMapping(props.configDir(), "erp-account"), codeTables);
    }

    @Bean
    public RecordMapper erpContactMapper(HubProperties props, CodeTables codeTables) {
        return new RecordMapper(loadMapping(props.configDir(), "erp-contact"), codeTables);
    }

    @Bean
    public RecordMapper erpOrderMapper(HubProperties props, CodeTables codeTables) {
        return new RecordMapper(loadMapping(props.configDir(), "erp-order"), codeTables);
    }

    /** Reads {@code mappings/<name>.yml}. */
    public static EntityMapping loadMapping(String configDir, String name) {
        Resource[] found = resources(configDir, "mappings/" + name + ".yml");
        if (found.length == 0) {
            throw new IllegalStateException("mapping file mappings/" + name + ".yml not found in " + configDir
                    + " nor in the built-in defaults (hub.config-dir)");
        }
        MappingFile f = read(found[0], MappingFile.class);
        try {
            LineMapping lines = f.lines() == null ? null
                    : new LineMapping(f.lines().table(), f.lines().parentKey(), f.lines().orderBy(), rules(f.lines().fields()));
            return new EntityMapping(f.source(), f.entity(), f.table(), f.key(), f.changedAt(), f.changedBy(),
                    rules(f.fields()), f.join(), lines);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(describe(found[0]) + ": " + e.getMessage(), e);
        }
    }

    private static Map<String, FieldRule> rules(Map<String, RuleFile> fields) {
        Map<String, FieldRule> rules = new LinkedHashMap<>();
        if (fields != null) {
            fields.forEach((field, r) -> rules.put(camelCase(field), r.rule()));
        }
        return rules;
    }

    public static Resource[] resources(String configDir, String pattern) {
        try {
            Path dir = Path.of(configDir);
            String base = Files.isDirectory(dir) ? "file:" + dir.toAbsolutePath() + "/" : "classpath*:config/";
            return new PathMatchingResourcePatternResolver().getResources(base + pattern);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + pattern + " in " + configDir, e);
        }
    }

    public static <T> T read(Resource r, Class<T> type) {
        try (InputStream in = r.getInputStream()) {
            return YAML.readValue(in, type);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read configuration file " + describe(r) + ": " + e.getMessage(), e);
        }
    }

    /** Field names are kebab-case in YAML ({@code postal-code}) and camelCase in the model. */
    public static String camelCase(String kebab) {
        StringBuilder sb = new StringBuilder();
        boolean upper = false;
        for (char c : kebab.toCharArray()) {
            if (c == '-') {
                upper = true;
            } else {
                sb.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return sb.toString();
    }

    private static String describe(Resource r) {
        return r.getDescription();
    }
}
