package io.crmhub.transformers.normalize;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class NormalizeTest {

    @Test
    void textFoldsPaddingNoBreakSpacesAndControlCharacters() {
        assertThat(Text.clean("  Acme\u00A0 Products,\tInc.\u0007  ")).isEqualTo("Acme Products, Inc.");
        assertThat(Text.clean("     ")).isNull();
        assertThat(Text.clean(null)).isNull();
        // the shortcut for values already clean gives what the full clean-up gives, whatever the text
        java.util.Random random = new java.util.Random(7);
        char[] alphabet = {'a', 'Z', ' ', ' ', '\t', '\n', '\u00A0', '\u0007', '\u007F', '\u2003', 'ä', ','};
        for (int i = 0; i < 20_000; i++) {
            StringBuilder sb = new StringBuilder();
            for (int k = random.nextInt(8); k > 0; k--) {
                sb.append(alphabet[random.nextInt(alphabet.length)]);
            }
            String raw = sb.toString();
            String full = raw.replaceAll("[\\p{Cntrl}&&[^\\s]]", "").replaceAll("[\\s\\u00A0]+", " ").strip();
            assertThat(Text.clean(raw)).as("'%s'", raw).isEqualTo(full.isEmpty() ? null : full);
        }
    }

    @Test
    void emailsAreLowerCasedAndMalformedOnesRefused() {
        assertThat(Emails.canonical(" John.Doe@Example.COM ")).contains("john.doe@example.com");
        assertThat(Emails.canonical("john@example")).isEmpty();
        assertThat(Emails.canonical("john..doe@example.com")).isEmpty();
        assertThat(Emails.canonical("john doe@example.com")).isEmpty();
        assertThat(Emails.canonical("@example.com")).isEmpty();
    }

    @Test
    void phonesBecomeE164UsingTheRecordsCountry() {
        assertThat(Phones.toE164("(415) 555-2671", "US")).contains("+14155552671");
        assertThat(Phones.toE164("0049 221 1234567", null)).contains("+492211234567");
        assertThat(Phones.toE164("n/a", "DE")).isEmpty();
        assertThat(Phones.toE164("123", "DE")).isEmpty();
    }

    @Test
    void countriesResolveAlpha2Alpha3NamesAndOperatorAliases() {
        assertThat(Countries.resolve("de", Map.of())).contains("DE");
        assertThat(Countries.resolve("FRA", Map.of())).contains("FR");
        assertThat(Countries.resolve("GER", Map.of("GER", "DE"))).contains("DE");
        assertThat(Countries.resolve("Germany", Map.of())).contains("DE");
        assertThat(Countries.resolve(" deutschland ", Map.of())).contains("DE");
        assertThat(Countries.resolve("Österreich", Map.of())).contains("AT");
        assertThat(Countries.resolve("Suisse", Map.of())).contains("CH");
        assertThat(Countries.resolve("Germania", Map.of())).as("Italian names are not read").isEmpty();
        assertThat(Countries.resolve("XX", Map.of())).isEmpty();
        assertThat(Countries.ISO_ALPHA2).hasSizeGreaterThan(240).contains("LV", "DE", "US");
    }
}
