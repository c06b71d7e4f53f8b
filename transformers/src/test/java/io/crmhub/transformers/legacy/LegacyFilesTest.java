package io.crmhub.transformers.legacy;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.StringReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Legacy exports as they come: encodings, byte-order marks, CSV quoting, fixed-width layouts, mojibake. */
class LegacyFilesTest {

    private static List<CsvRecords.Row> csv(byte[] file, String declared, char delimiter) throws Exception {
        TextEncoding.Opened opened = TextEncoding.open(new ByteArrayInputStream(file), declared);
        List<CsvRecords.Row> rows = new ArrayList<>();
        try (CsvRecords records = new CsvRecords(opened.reader(), delimiter)) {
            records.forEachRemaining(rows::add);
        }
        return rows;
    }

    @Test
    void anIsoLatin1FileIsDetectedAndKoelnAndMuellerAreReadAsWritten() throws Exception {
        byte[] file = "id;name;city\n1;Müller GmbH;Köln\n2;Société Générale;Paris\n".getBytes(StandardCharsets.ISO_8859_1);
        assertThat(TextEncoding.detect(file, file.length, null).charset()).isEqualTo(StandardCharsets.ISO_8859_1);
        List<CsvRecords.Row> rows = csv(file, "auto", ';');
        assertThat(rows.get(0).values()).containsEntry("name", "Müller GmbH").containsEntry("city", "Köln");
        assertThat(rows.get(1).values()).containsEntry("name", "Société Générale");
    }

    @Test
    void aUtf8FileWithAByteOrderMarkHasItsFirstHeaderReadAsWritten() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[]{(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
        out.write("id,name\n7,Müller GmbH\n".getBytes(StandardCharsets.UTF_8));
        TextEncoding.Opened opened = TextEncoding.open(new ByteArrayInputStream(out.toByteArray()), null);
        assertThat(opened.encoding().reason()).isEqualTo("UTF-8 byte-order mark");
        try (CsvRecords records = new CsvRecords(opened.reader(), ',')) {
            assertThat(records.header()).containsExactly("id", "name");
            assertThat(records.next().values()).containsEntry("id", "7").containsEntry("name", "Müller GmbH");
        }
    }

    @Test
    void windows1252IsToldFromLatin1ByItsOwnCharactersAndUtf8ByDecoding() throws Exception {
        byte[] cp1252 = "name\n„Bäckerei Müller“ – 5 €\n".getBytes(TextEncoding.WINDOWS_1252);
        assertThat(TextEncoding.detect(cp1252, cp1252.length, null).charset()).isEqualTo(TextEncoding.WINDOWS_1252);
        assertThat(csv(cp1252, null, ',').get(0).values().get("name")).isEqualTo("„Bäckerei Müller“ – 5 €");
        byte[] utf8 = "name\nMüller\n".getBytes(StandardCharsets.UTF_8);
        assertThat(TextEncoding.detect(utf8, utf8.length, null).charset()).isEqualTo(StandardCharsets.UTF_8);
    }

    @Test
    void aFileThatIsNotInItsDeclaredEncodingFailsInsteadOfStoringMojibake() {
        byte[] latin1 = "name\nMüller\n".getBytes(StandardCharsets.ISO_8859_1);
        assertThatThrownBy(() -> csv(latin1, "UTF-8", ','))
                .hasRootCauseInstanceOf(CharacterCodingException.class);
    }

    @Test
    void quotedFieldsHoldDelimitersQuotesAndLineBreaksAndBadRowsKeepTheirLineNumber() throws Exception {
        String file = "id,name,note\r\n1,\"Acme, Inc.\",\"said \"\"hi\"\"\"\r\n2,\"two\nlines\",x\r\n\r\n3,short\r\n4,a,b,c\r\n";
        List<CsvRecords.Row> rows = new ArrayList<>();
        try (CsvRecords records = new CsvRecords(new StringReader(file), ',')) {
            records.forEachRemaining(rows::add);
        }
        assertThat(rows).hasSize(4);
        assertThat(rows.get(0).values()).containsEntry("name", "Acme, Inc.").containsEntry("note", "said \"hi\"");
        assertThat(rows.get(1).values()).containsEntry("name", "two\nlines");
        assertThat(rows.get(2).line()).isEqualTo(6);
        assertThat(rows.get(2).problem()).isEqualTo("2 fields where the header has 3");
        assertThat(rows.get(3).problem()).isEqualTo("4 fields where the header has 3");
        assertThatThrownBy(() -> new CsvRecords(new StringReader("id\n\"open"), ',').forEachRemaining(r -> { }))
                .hasMessageContaining("not closed");
    }

    @Test
    void rowsAreReadAsWrittenWhereverTheReadersChunksEnd() throws Exception {
        StringBuilder file = new StringBuilder("id,name,note\r\n");
        int n = 3_000;
        for (int i = 0; i < n; i++) {
            file.append(i).append(",\"Acme, ").append(i).append("\",\"said \"\"hi\"\"\nand \r\nmore\"\r\n");
        }
        // a reader that hands out 1 to 13 characters per call: row, field, quote and line break
        // boundaries fall on chunk boundaries somewhere in the file
        java.util.Random random = new java.util.Random(7);
        java.io.Reader chunked = new java.io.FilterReader(new StringReader(file.toString())) {
            @Override
            public int read(char[] cbuf, int off, int len) throws java.io.IOException {
                return super.read(cbuf, off, Math.min(len, 1 + random.nextInt(13)));
            }
        };
        List<CsvRecords.Row> rows = new ArrayList<>();
        try (CsvRecords records = new CsvRecords(chunked, ',')) {
            records.forEachRemaining(rows::add);
        }
        assertThat(rows).hasSize(n);
        for (int i = 0; i < n; i++) {
            assertThat(rows.get(i).values()).containsEntry("id", String.valueOf(i)).containsEntry("name", "Acme, " + i)
                    .containsEntry("note", "said \"hi\"\nand \r\nmore");
            assertThat(rows.get(i).line()).isEqualTo(2 + 3L * i);
            assertThat(rows.get(i).problem()).isNull();
        }
    }

    @Test
    void aFixedWidthExportIsCutByItsLayout() throws Exception {
        List<FixedWidthRecords.Field> layout = List.of(new FixedWidthRecords.Field("CUSTNO", 1, 10),
                new FixedWidthRecords.Field("CNAME", 11, 20), new FixedWidthRecords.Field("CCTRY", 31, 3));
        String file = "0000010010Müller GmbH         GER\n0000010011Short\n";
        List<CsvRecords.Row> rows = new ArrayList<>();
        try (FixedWidthRecords records = new FixedWidthRecords(new StringReader(file), layout)) {
            records.forEachRemaining(rows::add);
        }
        assertThat(rows.get(0).values()).containsEntry("CUSTNO", "0000010010").containsEntry("CNAME", "Müller GmbH")
                .containsEntry("CCTRY", "GER");
        assertThat(rows.get(0).problem()).isNull();
        assertThat(rows.get(1).values()).containsEntry("CNAME", "Short").containsEntry("CCTRY", "");
        assertThat(rows.get(1).problem()).isEqualTo("line has 15 characters, the layout 33");
        assertThatThrownBy(() -> new FixedWidthRecords(new StringReader(""), List.of(new FixedWidthRecords.Field("A", 1, 5),
                new FixedWidthRecords.Field("B", 5, 2)))).hasMessageContaining("overlap");
    }

    @Test
    void mojibakeFromUtf8ReadAsLatin1IsRepairedAndCleanTextLeftAlone() {
        assertThat(Mojibake.repair("MÃ¼ller GmbH, KÃ¶ln")).isEqualTo("Müller GmbH, Köln");
        assertThat(Mojibake.repair("Preis: 5 â‚¬")).isEqualTo("Preis: 5 €");
        assertThat(Mojibake.repair("Müller GmbH")).isEqualTo("Müller GmbH");
        assertThat(Mojibake.repair("CAFÉ ÂGE")).as("capitals that are not a UTF-8 pair").isEqualTo("CAFÉ ÂGE");
    }
}
