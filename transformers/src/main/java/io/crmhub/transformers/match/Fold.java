package io.crmhub.transformers.match;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What two spellings of one name have in common: lower case, no accents (Société → societe),
 * transliterated letters (ß → ss, Ø → o, ООО → ooo), no punctuation ("&" becomes "and",
 * apostrophes vanish), and single letters written apart joined ("N. V." → "nv").
 */
public final class Fold {

    private static final Map<Character, String> LETTERS = Map.ofEntries(
            Map.entry('ß', "ss"), Map.entry('æ', "ae"), Map.entry('ø', "o"), Map.entry('œ', "oe"),
            Map.entry('ł', "l"), Map.entry('đ', "d"), Map.entry('ð', "d"), Map.entry('þ', "th"), Map.entry('ı', "i"),
            Map.entry('а', "a"), Map.entry('б', "b"), Map.entry('в', "v"), Map.entry('г', "g"), Map.entry('д', "d"),
            Map.entry('е', "e"), Map.entry('ё', "e"), Map.entry('ж', "zh"), Map.entry('з', "z"), Map.entry('и', "i"),
            Map.entry('й', "i"), Map.entry('к', "k"), Map.entry('л', "l"), Map.entry('м', "m"), Map.entry('н', "n"),
            Map.entry('о', "o"), Map.entry('п', "p"), Map.entry('р', "r"), Map.entry('с', "s"), Map.entry('т', "t"),
            Map.entry('у', "u"), Map.entry('ф', "f"), Map.entry('х', "kh"), Map.entry('ц', "ts"), Map.entry('ч', "ch"),
            Map.entry('ш', "sh"), Map.entry('щ', "shch"), Map.entry('ъ', ""), Map.entry('ы', "y"), Map.entry('ь', ""),
            Map.entry('э', "e"), Map.entry('ю', "yu"), Map.entry('я', "ya"));

    private Fold() {
    }

    /** Folded text: lower-case ASCII letters and digits separated by single spaces. */
    public static String text(String raw) {
        if (raw == null || raw.isEmpty()) {
            return "";
        }
        String lower = raw.toLowerCase(Locale.ROOT);
        StringBuilder translit = new StringBuilder(lower.length() + 8);
        boolean ascii = true;
        for (int i = 0; i < lower.length(); i++) {
            char c = lower.charAt(i);
            ascii &= c < 128;
            String t = c < 128 ? null : LETTERS.get(c);
            if (t != null) {
                translit.append(t);
            } else if (c == '&' || c == '+') {
                translit.append(" and ");
            } else if (c == '\'' || c == '`' || c == '’' || c == '´') {
                // "Morton's" and "Mortons", "Philips'" and "Philips" are the same word
                continue;
            } else {
                translit.append(c);
            }
        }
        // NFKD leaves ASCII as it is: most names need no decomposition
        CharSequence plain = ascii ? translit : Normalizer.normalize(translit, Normalizer.Form.NFKD);
        StringBuilder out = new StringBuilder(plain.length());
        boolean space = true;
        for (int i = 0; i < plain.length(); i++) {
            char c = plain.charAt(i);
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
                out.append(c);
                space = false;
            } else if (Character.getType(c) == Character.NON_SPACING_MARK) {
                continue;
            } else if (!space) {
                out.append(' ');
                space = true;
            }
        }
        int end = out.length();
        if (end > 0 && out.charAt(end - 1) == ' ') {
            out.setLength(end - 1);
        }
        return out.toString();
    }

    /** The folded words, with runs of single letters joined ("n v philips" → [nv, philips]). */
    public static List<String> tokens(String raw) {
        String folded = text(raw);
        List<String> tokens = new ArrayList<>();
        if (folded.isEmpty()) {
            return tokens;
        }
        StringBuilder letters = new StringBuilder();
        for (String t : folded.split(" ")) {
            if (t.length() == 1 && Character.isLetter(t.charAt(0))) {
                letters.append(t);
                continue;
            }
            if (!letters.isEmpty()) {
                tokens.add(letters.toString());
                letters.setLength(0);
            }
            tokens.add(t);
        }
        if (!letters.isEmpty()) {
            tokens.add(letters.toString());
        }
        return tokens;
    }

    /**
     * A spelling-tolerant key of one word: German umlaut transcriptions folded (mueller = muller),
     * ph = f, k/ck = c, y = i, doubled letters once. Equal keys mean "the same word, spelled otherwise".
     */
    public static String sound(String token) {
        StringBuilder out = new StringBuilder(token.length());
        char last = 0;
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            char next = i + 1 < token.length() ? token.charAt(i + 1) : 0;
            if (c == 'e' && (last == 'a' || last == 'o' || last == 'u') && i > 1) {
                continue;
            }
            if (c == 'p' && next == 'h') {
                c = 'f';
                i++;
            } else if (c == 'c' && next == 'k') {
                c = 'c';
                i++;
            } else if (c == 'k') {
                c = 'c';
            } else if (c == 'y') {
                c = 'i';
            }
            if (c != last) {
                out.append(c);
            }
            last = c;
        }
        return out.toString();
    }
}
