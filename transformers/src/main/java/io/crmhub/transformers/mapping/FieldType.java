package io.crmhub.transformers.mapping;

/** How a mapped field's text is interpreted and normalized. */
public enum FieldType {
    TEXT, DATE, DECIMAL, INTEGER, EMAIL, PHONE, COUNTRY,
    /** An ISO 4217 currency code. */
    CURRENCY,
    /**
     * The source's key of another record (a contact's customer number): kept as the key, resolved
     * to the CRM record through the cross-reference when the record is written.
     */
    REFERENCE
}
