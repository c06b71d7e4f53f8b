package io.crmhub.transformers.normalize;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/** ISO 3166-1 country codes: the alpha-2 picklist and what legacy systems write instead. */
public final class Countries {

    /** Every ISO 3166-1 alpha-2 code, the CRM store's country picklist. */
    public static final Set<String> ISO_ALPHA2 = Set.of(Locale.getISOCountries());

    private static final Map<String, String> ALPHA3_TO_ALPHA2 = alpha3();

    /** Country names as people write them in legacy systems: English, German and French. */
    private static final Map<String, String> NAMES = names();

    private Countries() {
    }

    /**
     * Resolves a code as a legacy system wrote it: alpha-2, alpha-3, or an alias from the
     * operator's code table (German "D", "GER", "UK" ...). Case and padding do not matter.
     */
    public static Optional<String> resolve(String raw, Map<String, String> aliases) {
        String s = Text.clean(raw);
        if (s == null) {
            return Optional.empty();
        }
        String key = s.toUpperCase(Locale.ROOT);
        String alias = aliases.get(key);
        if (alias != null) {
            return Optional.of(alias);
        }
        if (ISO_ALPHA2.contains(key)) {
            return Optional.of(key);
        }
        String alpha2 = ALPHA3_TO_ALPHA2.get(key);
        return Optional.ofNullable(alpha2 != null ? alpha2 : NAMES.get(key));
    }

    private static Map<String, String> names() {
        Map<String, String> m = new TreeMap<>();
        for (String a2 : Locale.getISOCountries()) {
            Locale country = new Locale("", a2);
            for (Locale language : new Locale[] {Locale.ENGLISH, Locale.GERMAN, Locale.FRENCH}) {
                m.putIfAbsent(country.getDisplayCountry(language).toUpperCase(Locale.ROOT), a2);
            }
        }
        return Map.copyOf(m);
    }

    private static Map<String, String> alpha3() {
        Map<String, String> m = new TreeMap<>();
        for (String a2 : Locale.getISOCountries()) {
            m.put(new Locale("", a2).getISO3Country(), a2);
        }
        return Map.copyOf(m);
    }
}
