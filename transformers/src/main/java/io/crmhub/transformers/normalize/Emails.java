package io.crmhub.transformers.normalize;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/** E-mail addresses in canonical form: the shape every system and the matcher compare. */
public final class Emails {

    // Pragmatic, not RFC 5322: one @, no white space, a dotted domain with a 2+ letter TLD.
    private static final Pattern VALID = Pattern.compile(
            "^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,}$");

    private Emails() {
    }

    /** The canonical form (trimmed, lower case), or empty when the address is malformed. */
    public static Optional<String> canonical(String raw) {
        String s = Text.clean(raw);
        if (s == null || s.contains("..") || s.startsWith(".") || s.contains(".@")) {
            return Optional.empty();
        }
        s = s.toLowerCase(Locale.ROOT);
        return VALID.matcher(s).matches() ? Optional.of(s) : Optional.empty();
    }
}
