package io.crmhub.transformers.normalize;

import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class EmailsTest {

    /** The rule as a regular expression, which Emails checked with until it was written by hand. */
    private static final Pattern RULE = Pattern.compile(
            "^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,}$");

    @Test
    void theHandWrittenCheckAgreesWithTheExpressionOnAMillionAddressLikeStrings() {
        // strings built from pieces the rule treats differently, long labels among them
        String[] pieces = {"a", "Z9", "x-y", "-", ".", "@", "@", "+", "!", "é", " ", "\n", "com", "d", "co.uk",
                "a".repeat(61), "b".repeat(62), "c".repeat(63), "d".repeat(64)};
        Random random = new Random(20261129);
        int valid = 0;
        for (int i = 0; i < 1_000_000; i++) {
            StringBuilder s = new StringBuilder();
            int n = 1 + random.nextInt(7);
            for (int j = 0; j < n; j++) {
                s.append(pieces[random.nextInt(pieces.length)]);
            }
            String text = s.toString();
            boolean expected = RULE.matcher(text).matches();
            assertThat(Emails.valid(text)).as("'%s'", text).isEqualTo(expected);
            valid += expected ? 1 : 0;
        }
        assertThat(valid).as("valid addresses among them").isGreaterThan(3_000);
    }

    @Test
    void labelsAndTopLevelDomains() {
        assertThat(Emails.valid("a@b.co")).isTrue();
        assertThat(Emails.valid("a@b-c.d-e.com")).isTrue();
        assertThat(Emails.valid("a@" + "b".repeat(63) + ".com")).isTrue();
        assertThat(Emails.valid("a@" + "b".repeat(64) + ".com")).isFalse();
        assertThat(Emails.valid("a@-b.com")).isFalse();
        assertThat(Emails.valid("a@b-.com")).isFalse();
        assertThat(Emails.valid("a@b.c")).isFalse();
        assertThat(Emails.valid("a@b.c0m")).isFalse();
        assertThat(Emails.valid("a@com")).isFalse();
        assertThat(Emails.valid("a@b..com")).isFalse();
        assertThat(Emails.valid("a@b@c.com")).isFalse();
        assertThat(Emails.valid("@b.com")).isFalse();
        assertThat(Emails.valid("a@b.com\n")).isFalse();
    }
}
