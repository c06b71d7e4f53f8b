package io.crmhub.embedded;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Synthetic legacy exports with realistic dirt, for migration tests and the migration benchmark:
 * distinct companies (pseudo-word names, German addresses and phone numbers), some entered twice
 * under a second customer number in another spelling, and some invalid in known ways. Seeded: the
 * same arguments give the same file, and the returned manifest says what a correct load holds.
 */
public final class LegacyExports {

    /** The CSV header, as {@code config/mappings/legacy-account.yml} reads it. */
    public static final List<String> ACCOUNT_COLUMNS = List.of("customer_no", "company", "street", "zip", "city", "country",
            "phone", "email", "website", "status");

    private static final String[] CITIES = {"Berlin", "Hamburg", "München", "Köln", "Frankfurt am Main", "Stuttgart",
        "Düsseldorf", "Leipzig", "Dortmund", "Essen", "Bremen", "Dresden", "Hannover", "Nürnberg", "Duisburg", "Bochum",
        "Wuppertal", "Bielefeld", "Bonn", "Münster", "Mannheim", "Karlsruhe", "Augsburg", "Wiesbaden", "Mönchengladbach",
        "Gelsenkirchen", "Aachen", "Braunschweig", "Kiel", "Chemnitz", "Halle (Saale)", "Magdeburg", "Freiburg im Breisgau",
        "Krefeld", "Mainz", "Lübeck", "Erfurt", "Oberhausen", "Rostock", "Kassel"};
    private static final String[] TRADES = {"Maschinenbau", "Logistik", "Elektrotechnik", "Handel", "Bau", "Metallwerk",
        "Software", "Feinmechanik", "Druckerei", "Kunststofftechnik", "Getränke", "Textil", "Optik", "Medizintechnik"};
    private static final String[] FORMS = {"GmbH", "AG", "KG", "GmbH & Co. KG", "OHG", "e.K."};
    private static final String[] LONG_FORMS = {"Gesellschaft mit beschränkter Haftung", "Aktiengesellschaft",
        "Kommanditgesellschaft", "GmbH und Co. KG", "Offene Handelsgesellschaft", "eingetragener Kaufmann"};
    /** Area codes of large German cities: with a seven-digit number, valid phone numbers. */
    private static final String[] AREA_CODES = {"30", "40", "89", "221", "69", "711", "211", "341", "231", "201"};
    private static final String CONSONANTS = "bdfghklmnprstvwz";
    private static final String VOWELS = "aeiou";

    /** What a file holds: its invalid rows' ids (with the faults planted), and each duplicate's original. */
    public record Manifest(int rows, Map<String, String> invalid, Map<String, String> duplicateOf) {

        /** The accounts a correct load ends with. */
        public int distinctValid() {
            return rows - invalid.size() - duplicateOf.size();
        }
    }

    private LegacyExports() {
    }

    /**
     * Writes {@code rows} accounts as CSV in {@code charset}: {@code invalid} of them invalid
     * (spread evenly, each with one known fault), {@code duplicates} of them a second entry of an
     * earlier valid company.
     */
    public static Manifest accountsCsv(Path file, int rows, int invalid, int duplicates, long seed, Charset charset) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            return accountsCsv(out, rows, invalid, duplicates, seed, charset);
        }
    }

    public static Manifest accountsCsv(OutputStream out, int rows, int invalid, int duplicates, long seed, Charset charset) throws IOException {
        Random random = new Random(seed);
        Map<String, String> faults = new LinkedHashMap<>();
        Map<String, String> duplicateOf = new LinkedHashMap<>();
        // second entries copy one of the last companies written: memory stays bounded for millions of rows
        List<String[]> originals = new ArrayList<>();
        Set<Long> names = new HashSet<>();
        Writer w = new BufferedWriter(new OutputStreamWriter(out, charset), 1 << 16);
        w.write(String.join(",", ACCOUNT_COLUMNS));
        w.write("\r\n");
        int invalidEvery = invalid == 0 ? Integer.MAX_VALUE : rows / invalid;
        int duplicateEvery = duplicates == 0 ? Integer.MAX_VALUE : rows / duplicates;
        for (int i = 0; i < rows; i++) {
            String id = String.format(Locale.ROOT, "L%08d", i + 1);
            String[] r;
            if (faults.size() < invalid && i % invalidEvery == invalidEvery / 2) {
                r = company(random, id, names);
                faults.put(id, plantFault(r, faults.size()));
            } else if (duplicateOf.size() < duplicates && i % duplicateEvery == duplicateEvery - 1 && !originals.isEmpty()) {
                String[] original = originals.get(random.nextInt(originals.size()));
                r = respelled(original, id, random);
                duplicateOf.put(id, original[0]);
            } else {
                r = company(random, id, names);
                if (originals.size() == RECENT) {
                    originals.set(random.nextInt(RECENT), r);
                } else {
                    originals.add(r);
                }
            }
            for (int c = 0; c < r.length; c++) {
                if (c > 0) {
                    w.write(',');
                }
                w.write(csv(r[c]));
            }
            w.write("\r\n");
        }
        w.flush();
        return new Manifest(rows, faults, duplicateOf);
    }

    private static final String[] GIVEN = {"Anna", "Bernd", "Claudia", "Dieter", "Elke", "Frank", "Gisela", "Hans", "Ines",
        "Jürgen", "Karin", "Lars", "Monika", "Norbert", "Olga", "Peter", "Renate", "Stefan", "Tanja", "Uwe", "Vera", "Werner"};

    /** The fixed-width layout of {@code config/layouts/legacy-contact.yml}: widths in its order. */
    private static final int[] CONTACT_WIDTHS = {10, 10, 20, 25, 40, 20, 2};

    /**
     * Writes {@code rows} contacts as fixed-width lines ({@code layouts/legacy-contact.yml}), each at
     * one of the first {@code accounts} customer numbers ({@code L00000001} ...), so some point to
     * an account the load refused; every 100th points to a customer number that does not exist, and
     * every 250th has no last name.
     */
    public static void contactsFixedWidth(Path file, int rows, int accounts, long seed, Charset charset) throws IOException {
        Random random = new Random(seed);
        try (Writer w = new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(file), charset), 1 << 16)) {
            for (int i = 1; i <= rows; i++) {
                String account = i % 100 == 0 ? "X" + i : String.format(Locale.ROOT, "L%08d", 1 + random.nextInt(accounts));
                String family = i % 250 == 0 ? "" : capital(word(random)) + "mann";
                String given = GIVEN[random.nextInt(GIVEN.length)];
                String[] values = {String.format(Locale.ROOT, "C%08d", i), account, given, family,
                    (given + "." + family + i).toLowerCase(Locale.ROOT).replace("ü", "ue") + "@example.com",
                    "0" + AREA_CODES[random.nextInt(AREA_CODES.length)] + " " + (2_000_000 + random.nextInt(7_999_999)), "DE"};
                for (int c = 0; c < values.length; c++) {
                    String v = values[c].length() > CONTACT_WIDTHS[c] ? values[c].substring(0, CONTACT_WIDTHS[c]) : values[c];
                    w.write(v);
                    w.write(" ".repeat(CONTACT_WIDTHS[c] - v.length()));
                }
                w.write("\r\n");
            }
        }
    }

    /** The CSV header of {@code config/mappings/legacy-order.yml}: one row per order line. */
    public static final List<String> ORDER_COLUMNS = List.of("order_no", "customer_no", "order_date", "status", "currency", "total",
            "line_no", "sku", "item", "quantity", "unit_price");
    private static final String[] ORDER_STATUSES = {"new", "open", "shipped", "invoiced", "done", "cancelled"};

    /** What an order export holds: its orders and lines, the invalid ones and those of a customer that does not exist. */
    public record Orders(int orders, int lines, Set<String> invalid, Set<String> orphans) {
    }

    /**
     * Writes {@code orders} orders of one to three lines as CSV, one row per line, each at one of the
     * first {@code accounts} customer numbers; every 200th at a customer that does not exist, every
     * 500th with an unreadable quantity on its last line.
     */
    public static Orders ordersCsv(Path file, int orders, int accounts, long seed, Charset charset) throws IOException {
        Random random = new Random(seed);
        Set<String> invalid = new java.util.LinkedHashSet<>();
        Set<String> orphans = new java.util.LinkedHashSet<>();
        int lines = 0;
        try (Writer w = new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(file), charset), 1 << 16)) {
            w.write(String.join(",", ORDER_COLUMNS));
            w.write("\r\n");
            for (int i = 1; i <= orders; i++) {
                String order = String.format(Locale.ROOT, "O%08d", i);
                String customer = i % 200 == 0 ? "X" + i : String.format(Locale.ROOT, "L%08d", 1 + random.nextInt(accounts));
                if (i % 200 == 0) {
                    orphans.add(order);
                }
                String date = java.time.LocalDate.of(2015, 1, 1).plusDays(random.nextInt(3650)).toString();
                String status = ORDER_STATUSES[random.nextInt(ORDER_STATUSES.length)];
                int n = 1 + random.nextInt(3);
                long[] quantity = new long[n];
                long[] cents = new long[n];
                long total = 0;
                for (int l = 0; l < n; l++) {
                    quantity[l] = 1 + random.nextInt(20);
                    cents[l] = 100 + random.nextInt(99_900);
                    total += quantity[l] * cents[l];
                }
                for (int l = 0; l < n; l++) {
                    boolean bad = i % 500 == 0 && l == n - 1;
                    if (bad) {
                        invalid.add(order);
                    }
                    w.write(String.join(",", order, customer, date, status, "EUR", money(total), String.valueOf(l + 1),
                            "SKU-" + (1000 + random.nextInt(9000)), "Teil " + capital(word(random)),
                            bad ? "zwei" : String.valueOf(quantity[l]), money(cents[l])));
                    w.write("\r\n");
                    lines++;
                }
            }
        }
        orphans.removeAll(invalid);
        return new Orders(orders, lines, invalid, orphans);
    }

    private static String money(long cents) {
        return String.format(Locale.ROOT, "%d.%02d", cents / 100, cents % 100);
    }

    private static String[] company(Random random, String id, Set<Long> names) {
        String name;
        do {
            name = capital(word(random)) + " " + capital(word(random)) + " " + TRADES[random.nextInt(TRADES.length)];
        } while (!names.add(fingerprint(name)));
        String form = FORMS[random.nextInt(FORMS.length)];
        String domain = name.toLowerCase(Locale.ROOT).replace(' ', '-').replace("ä", "ae").replace("ö", "oe")
                .replace("ü", "ue").replace("ß", "ss") + ".example";
        String city = CITIES[random.nextInt(CITIES.length)];
        return new String[] {id, name + " " + form, capital(word(random)) + "straße " + (1 + random.nextInt(200)),
            String.format(Locale.ROOT, "%05d", 1000 + random.nextInt(98000)), city, "DE",
            "0" + AREA_CODES[random.nextInt(AREA_CODES.length)] + " " + (2_000_000 + random.nextInt(7_999_999)),
            "info@" + domain, "www." + domain, random.nextInt(10) == 0 ? "inactive" : "active"};
    }

    /** The same company entered again: legal form written out, address abbreviated, case and spacing changed. */
    private static String[] respelled(String[] o, String id, Random random) {
        String name = o[1];
        for (int f = FORMS.length - 1; f >= 0; f--) {
            if (name.endsWith(" " + FORMS[f])) {
                name = name.substring(0, name.length() - FORMS[f].length()) + LONG_FORMS[f];
                break;
            }
        }
        name = random.nextBoolean() ? name.toUpperCase(Locale.GERMAN) : "  " + name;
        String phone = "+49 " + o[6].substring(1);
        return new String[] {id, name, o[2].replace("straße", "str."), o[3], o[4], random.nextBoolean() ? "Germany" : "de",
            phone, o[7].toUpperCase(Locale.ROOT), "", "Active"};
    }

    /** One known fault, in turn: the reason the load must give. */
    private static String plantFault(String[] r, int n) {
        switch (n % 5) {
            case 0 -> {
                r[1] = "   ";
                return "REQUIRED name";
            }
            case 1 -> {
                r[5] = "XX";
                return "UNKNOWN_CODE country";
            }
            case 2 -> {
                r[7] = r[7].replace("@", " at ");
                return "INVALID_FORMAT email";
            }
            case 3 -> {
                r[9] = "on hold";
                return "UNKNOWN_CODE status";
            }
            default -> {
                r[1] = r[1] + " " + "x".repeat(200);
                return "TOO_LONG name";
            }
        }
    }

    /** Companies a second entry may copy. */
    private static final int RECENT = 5_000;

    /** A 64-bit hash of a name: distinct names without keeping millions of strings. */
    private static long fingerprint(String s) {
        long h = 1125899906842597L;
        for (int i = 0; i < s.length(); i++) {
            h = 31 * h + s.charAt(i);
        }
        return h ^ ((long) s.hashCode() << 32);
    }

    private static String word(Random random) {
        StringBuilder sb = new StringBuilder();
        int syllables = 2 + random.nextInt(2);
        for (int s = 0; s < syllables; s++) {
            sb.append(CONSONANTS.charAt(random.nextInt(CONSONANTS.length()))).append(VOWELS.charAt(random.nextInt(VOWELS.length())));
        }
        return sb.toString();
    }

    private static String capital(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    private static String csv(String v) {
        if (v.indexOf(',') >= 0 || v.indexOf('"') >= 0 || v.indexOf('\n') >= 0) {
            return '"' + v.replace("\"", "\"\"") + '"';
        }
        return v;
    }
}
