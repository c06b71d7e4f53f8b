package io.crmhub.transformers.match;

import java.util.List;
import java.util.Map;

/**
 * A record prepared for comparison, computed once per record: the normalized forms every rule
 * compares. Built by {@link Matcher#profile}.
 *
 * @param core       a company name's words without legal form, leading article and abbreviations
 * @param sounds     the spelling-tolerant key of each core word
 * @param weights    how much each core word counts (generic words count less)
 * @param compact    the core words written together ("stmicroelectronics")
 * @param coreText   the core words apart, as evidence shows them
 * @param legalForms the legal forms found in the name, by short name
 * @param given      a person's given name, folded, nickname resolved to the name it stands for
 * @param givenRaw   the given name folded as written
 * @param family     a person's family name, folded, words together
 * @param birth      date of birth as yyyymmdd digits
 * @param streetCompact the street's words written together, as addresses are compared
 */
public record Profile(Party party, List<String> core, List<String> sounds, double[] weights, String compact,
                      String coreText, List<String> legalForms, String given, String givenRaw, String family, String birth,
                      String email, String domain, String phone, List<String> street, String streetCompact, String houseNumber,
                      String postcode, String city, String country, Map<String, String> ids) {

    public String id() {
        return party.id();
    }

    public boolean organization() {
        return party.kind() == Party.Kind.ORGANIZATION;
    }

    double totalWeight() {
        double w = 0;
        for (double x : weights) {
            w += x;
        }
        return w;
    }
}
