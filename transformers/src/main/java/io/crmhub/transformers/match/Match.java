package io.crmhub.transformers.match;

import java.util.List;

/** The verdict on a pair of records, with every rule that made it. */
public record Match(String a, String b, double score, Outcome outcome, List<Evidence> evidence) {

    /** What happens to a pair. */
    public enum Outcome {
        /** The same party beyond reasonable doubt: linked or merged without a person. */
        SURE,
        /** Perhaps the same: a person decides in the review queue. */
        POSSIBLE,
        DISTINCT
    }

    public String explain() {
        StringBuilder s = new StringBuilder(outcome + " " + score + ":");
        evidence.forEach(e -> s.append(' ').append(e).append(';'));
        return s.toString();
    }
}
