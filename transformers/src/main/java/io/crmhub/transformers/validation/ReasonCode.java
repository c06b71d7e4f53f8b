package io.crmhub.transformers.validation;

/** Why a record went to quarantine. Stable names: operators and reports filter by them. */
public enum ReasonCode {
    /** A required field is missing or blank. */
    REQUIRED,
    /** A value is not in the code table or picklist it must come from. */
    UNKNOWN_CODE,
    /** A value is present but malformed (date, number, e-mail, phone). */
    INVALID_FORMAT,
    /** A value is longer than the target field allows. */
    TOO_LONG,
    /** A number is outside what the target field takes: below its minimum, or too many digits. */
    OUT_OF_RANGE,
    /** The record refers to a parent the hub does not know. */
    MISSING_PARENT,
    /** The payload could not be read at all. */
    UNREADABLE,
    /**
     * The rows of one record with detail lines (an order) are not together in the source: it is
     * refused whole rather than loaded with part of its lines.
     */
    SPLIT_RECORD
}
