package io.crmhub.transformers.mapping;

import io.crmhub.transformers.model.Account;
import io.crmhub.transformers.model.SourceRecord;
import io.crmhub.transformers.validation.ReasonCode;
import io.crmhub.transformers.validation.Violation;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RecordMapperTest {

    private static final CodeTables CODES = new CodeTables(Map.of(
            "country", Map.of("GER", "DE", "D", "DE", "UK", "GB"),
            "erp-account-status", Map.of("A", "ACTIVE", "I", "INACTIVE")));

    private static final EntityMapping ACCOUNTS = new EntityMapping("erp", "account", "CUSTMST", "CUSTNO", "LCHG", "LUSR", fields());

    private static Map<String, FieldRule> fields() {
        Map<String, FieldRule> f = new LinkedHashMap<>();
        f.put("name", new FieldRule("CNAME", null, null, null, true, 40));
        f.put("city", new FieldRule("CCITY", null, null, null, false, 0));
        f.put("country", new FieldRule("CCTRY", FieldType.COUNTRY, null, "country", true, 0));
        f.put("phone", new FieldRule("CPHON", FieldType.PHONE, null, null, false, 0));
        f.put("email", new FieldRule("CEMAL", FieldType.EMAIL, null, null, false, 0));
        f.put("status", new FieldRule("CSTAT", null, null, "erp-account-status", true, 0));
        f.put("customerSince", new FieldRule("CRDAT", FieldType.DATE, "yyyyMMdd", null, false, 0));
        return f;
    }

    private final RecordMapper mapper = new RecordMapper(ACCOUNTS, CODES);

    private static SourceRecord row(String... kv) {
        Map<String, String> cols = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            cols.put(kv[i], kv[i + 1]);
        }
        return new SourceRecord("erp", "account", "10001", Instant.EPOCH, cols);
    }

    @Test
    void numbersOutsideWhatTheCrmColumnTakesAreRefusedWithTheirReason() {
        Map<String, FieldRule> f = new LinkedHashMap<>();
        f.put("quantity", new FieldRule("QTY", FieldType.DECIMAL, null, null, true, 0, null, null, java.math.BigDecimal.ZERO, FieldRule.Digits.of("15,3")));
        f.put("unitPrice", new FieldRule("PRICE", FieldType.DECIMAL, null, null, true, 0, null, java.math.BigDecimal.ZERO, null, FieldRule.Digits.of("15,2")));
        f.put("lineNumber", new FieldRule("LINNO", FieldType.INTEGER, null, null, true, 0, null, null, java.math.BigDecimal.ZERO, null));
        RecordMapper lines = new RecordMapper(new EntityMapping("erp", "order", "ORDLIN", "ORDNO", "LCHG", "LUSR", f), CODES);

        MappedRecord good = lines.map(row("QTY", "0,001", "PRICE", "9999999999999.994", "LINNO", "1"));
        assertThat(good.violations()).isEmpty();

        MappedRecord bad = lines.map(row("QTY", "-2", "PRICE", "9999999999999.995", "LINNO", "0"));
        assertThat(bad.violations()).extracting(Violation::code).containsOnly(ReasonCode.OUT_OF_RANGE);
        assertThat(bad.violations()).extracting(Violation::field).containsExactly("quantity", "unitPrice", "lineNumber");
        assertThat(bad.violations()).extracting(Violation::message).containsExactly(
                "'-2' is not above 0",
                // rounded to two places as numeric(15,2) stores it, it needs 14 digits before the point
                "'9999999999999.995' has more than 13 digits before the decimal point",
                "'0' is not above 0");
        assertThat(lines.map(row("QTY", "1", "PRICE", "-0.01", "LINNO", "2")).violations())
                .extracting(Violation::message).containsExactly("'-0.01' is below 0");
        assertThatThrownBy(() -> FieldRule.Digits.of("2,3"))
                .hasMessageContaining("precision and scale");
        assertThatThrownBy(() -> new FieldRule("CNAME", FieldType.TEXT, null, null, true, 0, null, java.math.BigDecimal.ONE, null, null))
                .hasMessageContaining("DECIMAL and INTEGER");
    }

    @Test
    void charPaddedLatin1RowBecomesCleanCanonicalAccount() {
        MappedRecord r = mapper.map(row("CNAME", "Müller  GmbH                ", "CCITY", "Köln      ",
                "CCTRY", "GER", "CPHON", "0221 123 4567", "CEMAL", " Info@Mueller.DE ", "CSTAT", "a",
                "CRDAT", "20190315"));

        assertThat(r.violations()).isEmpty();
        Account a = AccountFactory.from(r);
        assertThat(a.name()).isEqualTo("Müller GmbH");
        assertThat(a.city()).isEqualTo("Köln");
        assertThat(a.country()).isEqualTo("DE");
        assertThat(a.phone()).isEqualTo("+492211234567");
        assertThat(a.email()).isEqualTo("info@mueller.de");
        assertThat(a.status()).isEqualTo("ACTIVE");
        assertThat(a.customerSince()).isEqualTo(LocalDate.of(2019, 3, 15));
    }

    @Test
    void countryResolvesAlpha3AndAliasesButNotInventedCodes() {
        assertThat(mapper.map(row("CNAME", "X", "CCTRY", "DEU", "CSTAT", "A")).text("country")).isEqualTo("DE");
        assertThat(mapper.map(row("CNAME", "X", "CCTRY", "uk", "CSTAT", "A")).text("country")).isEqualTo("GB");
        MappedRecord bad = mapper.map(row("CNAME", "X", "CCTRY", "XQ", "CSTAT", "A"));
        assertThat(bad.violations()).extracting(Violation::code, Violation::field)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(ReasonCode.UNKNOWN_CODE, "country"));
    }

    @Test
    void everyViolationIsReportedNotOnlyTheFirst() {
        MappedRecord r = mapper.map(row("CNAME", "   ", "CCTRY", "DE", "CPHON", "12", "CEMAL", "info@@acme",
                "CSTAT", "Z", "CRDAT", "20191345"));

        assertThat(r.valid()).isFalse();
        assertThat(r.violations()).extracting(Violation::field)
                .containsExactly("name", "phone", "email", "status", "customerSince");
        assertThat(r.violations()).extracting(Violation::code).containsExactly(ReasonCode.REQUIRED,
                ReasonCode.INVALID_FORMAT, ReasonCode.INVALID_FORMAT, ReasonCode.UNKNOWN_CODE, ReasonCode.INVALID_FORMAT);
        assertThat(r.violations().get(2).message()).contains("info@@acme");
    }

    @Test
    void valueLongerThanTargetFieldIsRejectedNotTruncated() {
        MappedRecord r = mapper.map(row("CNAME", "A".repeat(41), "CCTRY", "DE", "CSTAT", "A"));
        assertThat(r.violations()).extracting(Violation::code).containsExactly(ReasonCode.TOO_LONG);
        assertThat(r.values()).doesNotContainKey("name");
    }

    @Test
    void mappingNamingAnUnknownCodeTableFailsAtConstruction() {
        Map<String, FieldRule> f = Map.of("status", new FieldRule("CSTAT", null, null, "no-such-table", false, 0));
        assertThatThrownBy(() -> new RecordMapper(new EntityMapping("erp", "account", "CUSTMST", "CUSTNO", null, null, f), CODES))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no-such-table");
    }

    @Test
    void tableOrColumnNamesThatAreNotPlainIdentifiersAreRefused() {
        assertThatThrownBy(() -> new EntityMapping("erp", "account", "CUSTMST; drop table x", "CUSTNO", "LCHG", "LUSR", fields()))
                .hasMessageContaining("not a plain SQL identifier");
    }

    @Test
    void dateFieldWithoutFormatIsAConfigurationError() {
        assertThatThrownBy(() -> new FieldRule("CRDAT", FieldType.DATE, null, null, false, 0))
                .hasMessageContaining("CRDAT");
    }

    @Test
    void reverseMappingWritesBackWhatTheForwardMappingReads() {
        MappedRecord r = mapper.map(row("CNAME", "Müller GmbH", "CCTRY", "GER", "CSTAT", "I", "CRDAT", "20190315",
                "CEMAL", "info@mueller.de"));
        ReverseMapper back = new ReverseMapper(ACCOUNTS, CODES);
        Map<String, String> cols = back.toColumns(r.values(), java.util.Set.of("name", "country", "status", "customerSince", "email", "city"));
        assertThat(cols).containsEntry("CNAME", "Müller GmbH").containsEntry("CCTRY", "DE").containsEntry("CSTAT", "I")
                .containsEntry("CRDAT", "20190315").containsEntry("CEMAL", "info@mueller.de").containsEntry("CCITY", null)
                .doesNotContainKey("CPHON");
        assertThat(mapper.map(row(flatten(cols))).values()).containsAllEntriesOf(r.values());
        assertThatThrownBy(() -> back.toColumns(Map.of("status", "PROSPECT"), java.util.Set.of("status")))
                .hasMessageContaining("PROSPECT");
    }

    private static String[] flatten(Map<String, String> cols) {
        return cols.entrySet().stream().flatMap(e -> java.util.stream.Stream.of(e.getKey(), e.getValue())).toArray(String[]::new);
    }
}
