package io.crmhub.transformers.normalize;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonenumber.PhoneNumber;

import java.util.Optional;

/** Phone numbers to E.164, with the record's country as the region for national numbers. */
public final class Phones {

    private static final PhoneNumberUtil UTIL = PhoneNumberUtil.getInstance();

    private Phones() {
    }

    /**
     * The E.164 form ({@code +4922112345}), or empty when the number is not a valid number for the
     * region (or for its own country code, when it carries one).
     *
     * @param region ISO 3166-1 alpha-2 of the record, or {@code null} when unknown
     */
    public static Optional<String> toE164(String raw, String region) {
        String s = Text.clean(raw);
        if (s == null) {
            return Optional.empty();
        }
        if (s.startsWith("00")) {
            s = "+" + s.substring(2);
        }
        try {
            PhoneNumber number = UTIL.parse(s, region == null ? "ZZ" : region);
            return UTIL.isValidNumber(number)
                    ? Optional.of(UTIL.format(number, PhoneNumberUtil.PhoneNumberFormat.E164))
                    : Optional.empty();
        } catch (NumberParseException e) {
            return Optional.empty();
        }
    }
}
