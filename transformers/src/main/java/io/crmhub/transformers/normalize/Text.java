package io.crmhub.transformers.normalize;

import java.util.regex.Pattern;

/** Text clean-up shared by every mapping: the dirt legacy systems leave in character fields. */
public final class Text {

    private static final Pattern WHITESPACE = Pattern.compile("[\\s\\u00A0]+");
    private static final Pattern CONTROL = Pattern.compile("[\\p{Cntrl}&&[^\\s]]");

    private Text() {
    }

    /**
     * Trims, folds runs of white space (including CHAR padding and no-break spaces) into one
     * space and removes control characters. Blank becomes {@code null}: an empty CHAR column means
     * "no value", not "the empty string".
     */
    public static String clean(String raw) {
        if (raw == null) {
            return null;
        }
        if (alreadyClean(raw)) {
            return raw.isEmpty() ? null : raw;
        }
        String s = CONTROL.matcher(raw).replaceAll("");
        s = WHITESPACE.matcher(s).replaceAll(" ").strip();
        return s.isEmpty() ? null : s;
    }

    /**
     * Whether {@link #clean} would return the text unchanged: no control character, no white space
     * but single spaces, nothing to strip at either end. Most values are; they skip the regular expressions.
     */
    private static boolean alreadyClean(String s) {
        int n = s.length();
        if (n == 0) {
            return true;
        }
        if (Character.isWhitespace(s.charAt(0)) || Character.isWhitespace(s.charAt(n - 1))
                || Character.isSpaceChar(s.charAt(0)) || Character.isSpaceChar(s.charAt(n - 1))) {
            return false;
        }
        char previous = 'x';
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7F || c == 0xA0 || (c == ' ' && previous == ' ')) {
                return false;
            }
            previous = c;
        }
        return true;
    }
}
