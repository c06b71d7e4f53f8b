package io.crmhub.transformers.match;

/** One rule that fired when two records were compared: its name, the points it gave, and why. */
public record Evidence(String rule, double points, String detail) {

    @Override
    public String toString() {
        return rule + (points >= 0 ? " +" : " ") + points + " (" + detail + ")";
    }
}
