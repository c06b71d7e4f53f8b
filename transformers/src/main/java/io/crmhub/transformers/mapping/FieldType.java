package io.crmhub.transformers.mapping;

/** How a mapped field's text is interpreted and normalized. */
public enum FieldType {
    TEXT, DATE, DECIMAL, EMAIL, PHONE, COUNTRY
}
