package io.crmhub.transformers.validation;

/**
 * One reason a record cannot be accepted as it is.
 *
 * @param code    a stable reason code operators filter by ({@link ReasonCode})
 * @param field   the canonical field concerned, or {@code *} for the whole record
 * @param message what is wrong, with the offending value
 */
public record Violation(ReasonCode code, String field, String message) {

    @Override
    public String toString() {
        return code + "(" + field + "): " + message;
    }
}
