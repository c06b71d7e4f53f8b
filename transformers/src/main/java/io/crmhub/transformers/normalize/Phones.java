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
     * region (or for its own country code, when it carries one), or has fewer than 7 digits.
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
            if (!UTIL.isValidNumber(number)) {
                return Optional.empty();
            }
            // the CRM store takes 7 to 15 digits: a shorter valid number (an Iranian service
            // number, +989601) would pass here and fail the record's whole batch there
            return Optional.of(UTIL.format(number, PhoneNumberUtil.PhoneNumberFormat.E164)).filter(Phones::isE164Form);
        } catch (NumberParseException e) {
            return Optional.empty();
        }
    }

    /**
     * Whether {@code s} has the form of an E.164 number: {@code +}, then 7 to 15 digits, the first
     * not 0 (the CRM store's check on its phone columns). Says nothing of whether the number exists:
     * that is {@link #toE164}'s work.
     */
    public static boolean isE164Form(String s) {
        if (s == null || s.length() < 8 || s.length() > 16 || s.charAt(0) != '+' || s.charAt(1) == '0') {
            return false;
        }
        for (int i = 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }
}
