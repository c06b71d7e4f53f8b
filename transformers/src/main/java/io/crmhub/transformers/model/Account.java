package io.crmhub.transformers.model;

import java.time.LocalDate;

/**
 * The canonical account (a company or organisation) as the hub moves it between systems.
 *
 * <p>Values are already normalized: trimmed, country as ISO 3166-1 alpha-2, e-mail in canonical
 * form, phone in E.164 where it could be parsed.
 */
public record Account(
        String name,
        String street,
        String postalCode,
        String city,
        String country,
        String phone,
        String email,
        String website,
        String creditTerms,
        String status,
        LocalDate customerSince) {
}
