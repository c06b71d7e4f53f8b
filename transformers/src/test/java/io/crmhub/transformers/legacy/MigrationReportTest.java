package io.crmhub.transformers.legacy;

import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The migration report's parts: a rejected-rows file a spreadsheet opens safely, and the quality scorecard. */
class MigrationReportTest {

    @Test
    void cellsThatWouldRunAsFormulasAreNeutralizedAndTheFileReadsBackAsWritten() throws Exception {
        StringWriter out = new StringWriter();
        try (RejectedRowsCsv rejects = new RejectedRowsCsv(out)) {
            rejects.reject("account", "0000010013", 14, "name", "REQUIRED", "=HYPERLINK(\"http://evil\",\"x\")");
            rejects.reject("account", "0000010014", 15, "phone", "FORMAT", "+49 221 12, ext. 3");
            rejects.reject("contact", "C-9", 0, "email", "FORMAT", "@mention");
        }
        assertThat(out.toString()).contains("'=HYPERLINK").contains("'+49 221 12, ext. 3").contains("'@mention");
        List<CsvRecords.Row> rows = new ArrayList<>();
        try (CsvRecords back = new CsvRecords(new StringReader(out.toString()), ',')) {
            assertThat(back.header()).isEqualTo(RejectedRowsCsv.HEADER);
            back.forEachRemaining(rows::add);
        }
        assertThat(rows).hasSize(3).allMatch(r -> r.problem() == null);
        assertThat(rows.get(0).values()).containsEntry("value", "'=HYPERLINK(\"http://evil\",\"x\")").containsEntry("line", "14");
        assertThat(rows.get(1).values()).containsEntry("value", "'+49 221 12, ext. 3");
        assertThat(RejectedRowsCsv.cell("-1")).isEqualTo("'-1");
        assertThat(RejectedRowsCsv.cell("Müller GmbH")).isEqualTo("Müller GmbH");
    }

    @Test
    void theScorecardHoldsTablesToFivePercentCriticalFieldsToOneAndLeadsToTwenty() {
        QualityScorecard card = new QualityScorecard(QualityScorecard.Thresholds.PRACTICE,
                Map.of("account", Set.of("name", "country"), "lead", Set.of("email")));
        for (int i = 0; i < 1000; i++) {
            // 37 accounts fail: 8 of them for their country (0.8 %), 29 for a phone
            card.record("account", i < 8 ? Set.of("country") : i < 37 ? Set.of("phone") : Set.of());
            // 150 leads of 1000 without a usable e-mail: 15 %, tolerated for leads
            card.record("lead", i < 150 ? Set.of("email") : Set.of());
        }
        card.record("account", Set.of("name", "country"));
        card.record("account", Set.of("name"));
        for (int i = 0; i < 10; i++) {
            card.record("account", Set.of("name"));
        }
        List<QualityScorecard.Line> lines = card.lines();
        QualityScorecard.Line table = lines.stream().filter(l -> l.table().equals("account") && l.field() == null).findFirst().orElseThrow();
        assertThat(table.checked()).isEqualTo(1012);
        assertThat(table.failed()).isEqualTo(49);
        assertThat(table.passed()).as("4.8 %% < 5 %%").isTrue();
        QualityScorecard.Line name = lines.stream().filter(l -> "name".equals(l.field())).findFirst().orElseThrow();
        assertThat(name.failed()).isEqualTo(12);
        assertThat(name.passed()).as("1.19 %% of names missing: a critical field over 1 %%").isFalse();
        QualityScorecard.Line country = lines.stream().filter(l -> "country".equals(l.field())).findFirst().orElseThrow();
        assertThat(country.passed()).isTrue();
        assertThat(lines.stream().filter(l -> l.table().equals("lead")).allMatch(QualityScorecard.Line::passed)).isTrue();
        assertThat(card.passed()).isFalse();
    }
}
