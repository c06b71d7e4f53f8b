package io.crmhub.connectors.migration;

import io.crmhub.connectors.migration.MigrationProgress.StepCounts;
import io.crmhub.transformers.legacy.QualityScorecard;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * What a run (or a dry run: what it would do) did: totals per table, the data-quality scorecard
 * against practice's thresholds, and the records whose parent is missing. The refused records
 * themselves, with every reason, are in the run's rejected-rows CSV ({@code rejectedCsv}).
 *
 * @param missingParents the first of them (at most {@link #MISSING_PARENTS_SHOWN}); all are in the CSV
 */
public record MigrationReport(UUID runId, String job, boolean dryRun, String status, String reason, Instant startedAt,
                              Instant finishedAt, double seconds, List<StepCounts> steps, List<QualityScorecard.Line> scorecard,
                              boolean scorecardPassed, long quarantined, List<MigrationRuns.ReasonCount> reasons,
                              long missingParentsTotal,
                              List<MigrationRuns.Rejected> missingParents, String rejectedCsv) {

    public static final int MISSING_PARENTS_SHOWN = 1000;

    /** The report as a mail's text. */
    public String text() {
        StringBuilder sb = new StringBuilder();
        sb.append(dryRun ? "Dry run" : "Migration").append(" '").append(job).append("' ").append(status)
                .append(reason == null ? "" : " (" + reason + ")").append(" in ").append(String.format(Locale.ROOT, "%.1f s", seconds))
                .append(dryRun ? "; nothing was written: the figures are what the real run would do" : "").append(".\n\n");
        sb.append(String.format(Locale.ROOT, "%-12s %10s %10s %10s %10s %10s %12s %12s%n", "table", "read", "created", "merged",
                "updated", "unchanged", "quarantined", "no parent"));
        for (StepCounts s : steps) {
            sb.append(String.format(Locale.ROOT, "%-12s %10d %10d %10d %10d %10d %12d %12d%n", s.name(), s.read(), s.created(),
                    s.merged(), s.updated(), s.unchanged(), s.quarantined(), s.missingParent()));
        }
        sb.append("\nData quality (error rate against threshold): ").append(scorecardPassed ? "PASSED" : "FAILED").append('\n');
        for (QualityScorecard.Line l : scorecard) {
            sb.append(String.format(Locale.ROOT, "  %-30s %8.3f %% of %d (limit %.0f %%) %s%n",
                    l.table() + (l.field() == null ? "" : "." + l.field()), l.rate() * 100, l.checked(), l.threshold() * 100,
                    l.passed() ? "ok" : "OVER"));
        }
        if (!reasons.isEmpty()) {
            sb.append("\nReasons (rows):\n");
            reasons.forEach(r -> sb.append(String.format(Locale.ROOT, "  %-12s %-16s %-16s %d%n", r.step(), r.field(), r.code(), r.rows())));
        }
        sb.append("\nRefused records with their reasons, and records whose parent is missing: ").append(rejectedCsv).append('\n');
        return sb.toString();
    }

    /** The report as a page. */
    public String html() {
        StringBuilder sb = new StringBuilder("""
                <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Migration report</title><style>
                body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}
                th,td{border:1px solid #ccc;padding:4px 10px;text-align:right}th:first-child,td:first-child{text-align:left}
                th{background:#f4f4f4}.ok{color:#17692c}.bad{color:#b00020;font-weight:bold}.dry{background:#fff6d6;padding:6px}
                </style></head><body>""");
        sb.append("<h1>").append(esc(dryRun ? "Dry run of " : "Migration ")).append(esc(job)).append("</h1>");
        sb.append("<p>Status <b class=\"").append("SUCCEEDED".equals(status) ? "ok" : "bad").append("\">").append(esc(status))
                .append("</b>").append(reason == null ? "" : " — " + esc(reason)).append(", started ").append(startedAt)
                .append(String.format(Locale.ROOT, ", %.1f s.", seconds)).append(" Run ").append(runId).append("</p>");
        if (dryRun) {
            sb.append("<p class=\"dry\">A dry run writes nothing: these are the figures the real run would produce.</p>");
        }
        sb.append("<h2>Totals</h2><table><tr><th>table</th><th>read</th><th>created</th><th>merged</th><th>updated</th>"
                + "<th>unchanged</th><th>repeated</th><th>quarantined</th><th>missing parent</th></tr>");
        for (StepCounts s : steps) {
            sb.append("<tr><td>").append(esc(s.name())).append("</td>");
            for (long n : new long[] {s.read(), s.created(), s.merged(), s.updated(), s.unchanged(), s.repeated(), s.quarantined(),
                    s.missingParent()}) {
                sb.append("<td>").append(String.format(Locale.ROOT, "%,d", n)).append("</td>");
            }
            sb.append("</tr>");
        }
        sb.append("</table><h2>Data quality <span class=\"").append(scorecardPassed ? "ok\">passed" : "bad\">failed")
                .append("</span></h2><table><tr><th>table / field</th><th>checked</th><th>failed</th><th>error rate</th>"
                        + "<th>threshold</th><th></th></tr>");
        for (QualityScorecard.Line l : scorecard) {
            sb.append("<tr><td>").append(esc(l.table() + (l.field() == null ? "" : "." + l.field()))).append("</td><td>")
                    .append(l.checked()).append("</td><td>").append(l.failed()).append("</td><td>")
                    .append(String.format(Locale.ROOT, "%.3f %%", l.rate() * 100)).append("</td><td>")
                    .append(String.format(Locale.ROOT, "%.0f %%", l.threshold() * 100)).append("</td><td class=\"")
                    .append(l.passed() ? "ok\">ok" : "bad\">over").append("</td></tr>");
        }
        sb.append("</table><h2>Refused records</h2><p>").append(quarantined).append(" refused, each with every reason and its source id: <a href=\"")
                .append(esc(rejectedCsv)).append("\">rejected rows (CSV)</a></p>");
        if (!reasons.isEmpty()) {
            sb.append("<table><tr><th>table</th><th>field</th><th>reason</th><th>rows</th></tr>");
            for (MigrationRuns.ReasonCount r : reasons) {
                sb.append("<tr><td>").append(esc(r.step())).append("</td><td>").append(esc(r.field())).append("</td><td>")
                        .append(esc(r.code())).append("</td><td>").append(r.rows()).append("</td></tr>");
            }
            sb.append("</table>");
        }
        sb.append("<h2>Missing parents</h2><p>").append(missingParentsTotal)
                .append(" records point to a parent the CRM does not hold: none was loaded as an orphan.</p>");
        if (!missingParents.isEmpty()) {
            sb.append("<table><tr><th>table</th><th>source id</th><th>line</th><th>pointer</th><th>missing parent</th></tr>");
            for (MigrationRuns.Rejected m : missingParents) {
                sb.append("<tr><td>").append(esc(m.step())).append("</td><td>").append(esc(m.sourceId())).append("</td><td>")
                        .append(m.line()).append("</td><td>").append(esc(m.field())).append("</td><td>").append(esc(m.value()))
                        .append("</td></tr>");
            }
            sb.append("</table>");
        }
        return sb.append("</body></html>").toString();
    }

    private static String esc(String s) {
        if (s == null) {
            return "";
        }
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
