package io.crmhub.transformers.legacy;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * Repairs text that was UTF-8 read as Latin-1 or Windows-1252 somewhere upstream ("MÃ¼ller",
 * "KÃ¶ln", "â‚¬"): such text is made of the lead characters Ã, Â, â … followed by characters of the
 * continuation range. It is turned back into bytes and read as UTF-8; text that does not decode
 * so, or has no such pairs, is left as it is.
 */
public final class Mojibake {

    private static final Pattern SIGNS = Pattern.compile("[\\u00C2-\\u00F4][\\u0080-\\u00BF\\u0152\\u0153\\u0160\\u0161\\u0178\\u017D\\u017E\\u0192\\u02C6\\u02DC\\u2013\\u2014\\u2018-\\u201E\\u2020-\\u2022\\u2026\\u2030\\u2039\\u203A\\u20AC\\u2122]");

    private Mojibake() {
    }

    public static boolean suspicious(String s) {
        return s != null && hasLead(s) && SIGNS.matcher(s).find();
    }

    /** Whether any character could lead a pair: most values are plain text and skip the pattern. */
    private static boolean hasLead(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= '\u00C2' && c <= '\u00F4') {
                return true;
            }
        }
        return false;
    }

    /** The repaired text, or the text itself when it is not mojibake. */
    public static String repair(String s) {
        if (!suspicious(s)) {
            return s;
        }
        byte[] bytes = s.getBytes(TextEncoding.WINDOWS_1252);
        if (!new String(bytes, TextEncoding.WINDOWS_1252).equals(s)) {
            bytes = s.getBytes(StandardCharsets.ISO_8859_1);
            if (!new String(bytes, StandardCharsets.ISO_8859_1).equals(s)) {
                return s; // characters neither encoding has: not a Latin-1 reading of UTF-8
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return s;
        }
    }
}
