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
        String s = CONTROL.matcher(raw).replaceAll("");
        s = WHITESPACE.matcher(s).replaceAll(" ").strip();
        return s.isEmpty() ? null : s;
    }
}
