package io.crmhub.transformers.model;

/** The canonical contact: a person at an account, with a standardized role. */
public record Contact(
        String firstName,
        String lastName,
        String email,
        String phone,
        String role) {
}
