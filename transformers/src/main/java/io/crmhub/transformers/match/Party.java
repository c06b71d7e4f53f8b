package io.crmhub.transformers.match;

import java.util.Map;

/**
 * A record to be matched: a company or a person as any source describes it. Absent values are
 * null; {@code ids} holds the record's ids in other systems by system ({@code ERP → 0000012345}).
 */
public record Party(String id, Kind kind, String name, String givenName, String familyName, String birthDate,
                    String email, String phone, String street, String postcode, String city, String country,
                    String website, Map<String, String> ids) {

    public enum Kind { ORGANIZATION, PERSON }

    public Party {
        ids = ids == null ? Map.of() : Map.copyOf(ids);
    }

    public static Party organization(String id, String name, String website, String email, String phone,
                                     String street, String postcode, String city, String country) {
        return new Party(id, Kind.ORGANIZATION, name, null, null, null, email, phone, street, postcode, city, country,
                website, Map.of());
    }

    public static Party person(String id, String givenName, String familyName, String birthDate, String email,
                               String phone, String street, String postcode, String city, String country) {
        return new Party(id, Kind.PERSON, null, givenName, familyName, birthDate, email, phone, street, postcode, city,
                country, null, Map.of());
    }

    public Party withIds(Map<String, String> otherIds) {
        return new Party(id, kind, name, givenName, familyName, birthDate, email, phone, street, postcode, city, country,
                website, otherIds);
    }
}
