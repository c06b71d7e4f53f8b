package io.crmhub.transformers.normalize;

import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonenumber;
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
    void anE164NumberIsItsOwnNormalForm() {
        // The matcher takes a phone of E.164 form as it is (Matcher.phone): for that, the form the
        // hub writes must parse back to itself, whatever region a record names. Every example
        // number libphonenumber has, of every region and type.
        PhoneNumberUtil util = PhoneNumberUtil.getInstance();
        int checked = 0;
        java.util.Set<String> refused = new java.util.TreeSet<>();
        for (String region : util.getSupportedRegions()) {
            for (PhoneNumberUtil.PhoneNumberType type : PhoneNumberUtil.PhoneNumberType.values()) {
                Phonenumber.PhoneNumber example = util.getExampleNumberForType(region, type);
                if (example == null) {
                    continue;
                }
                String national = util.format(example, PhoneNumberUtil.PhoneNumberFormat.NATIONAL);
                String e164 = Phones.toE164(national, region).orElse(null);
                if (e164 == null) {
                    refused.add(util.format(example, PhoneNumberUtil.PhoneNumberFormat.E164));
                    continue;
                }
                assertThat(Phones.isE164Form(e164)).as(e164).isTrue();
                assertThat(Phones.toE164(e164, null)).as(region + " " + type).contains(e164);
                assertThat(Phones.toE164(e164, "US")).as(region + " " + type).contains(e164);
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(1_300);
        // valid, but shorter than the CRM store's phone columns take: refused at the door
        assertThat(refused).containsExactly("+989601");
        assertThat(Phones.isE164Form("+4922112345")).isTrue();
        assertThat(Phones.isE164Form("+49 221 12345")).isFalse();
        assertThat(Phones.isE164Form("4922112345")).isFalse();
        assertThat(Phones.isE164Form("+0922112345")).isFalse();
        assertThat(Phones.isE164Form("+123456")).as("7 digits at least").isFalse();
        assertThat(Phones.isE164Form("+1234567890123456")).as("15 digits at most").isFalse();
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
