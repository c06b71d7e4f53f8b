package io.crmhub.connectors.config;

import io.crmhub.transformers.match.Match;
import io.crmhub.transformers.match.MatchRules;
import io.crmhub.transformers.match.Matcher;
import io.crmhub.transformers.match.Party;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The shipped rules (config/matching.yml) keep the cases practice says must never merge apart. */
class MatchingRulesTest {

    private final Matcher matcher = new Matcher(MatchingConfiguration.loadRules("../config"));

    private Match compare(String a, String b) {
        return matcher.compare(Party.organization("a", a, null, null, null, null, null, null, null),
                Party.organization("b", b, null, null, null, null, null, null, null));
    }

    @Test
    void theFourAcmeProductsAreOneCompany() {
        for (String variant : new String[]{"Acme Products, Inc.", "Acme Products Inc", "Acme Products, Incorporated"}) {
            assertThat(compare("Acme Products", variant).outcome()).as(variant).isEqualTo(Match.Outcome.SURE);
        }
    }

    @Test
    void lookAlikesStayApart() {
        assertThat(compare("Stripe, Inc.", "Strix Ltd").outcome()).isEqualTo(Match.Outcome.DISTINCT);
        assertThat(compare("Ramesh Traders", "Ganesh Traders").outcome()).isEqualTo(Match.Outcome.DISTINCT);
        assertThat(compare("SIA Rimi Latvia", "SIA Maxima Latvija").outcome()).isEqualTo(Match.Outcome.DISTINCT);
        assertThat(compare("Acme Group Ltd", "Beta Group Ltd").outcome()).isEqualTo(Match.Outcome.DISTINCT);
    }

    @Test
    void groupCompaniesGoToReviewNotToAMerge() {
        Match m = compare("Schlumberger Holdings B.V.", "Schlumberger Limited");
        assertThat(m.outcome()).isEqualTo(Match.Outcome.POSSIBLE);
        assertThat(m.explain()).contains("name.same-distinctive");
    }

    @Test
    void legalFormsOfManyCountriesAreRecognised() {
        assertThat(compare("OOO Romashka", "Romashka")).extracting(Match::outcome).isEqualTo(Match.Outcome.SURE);
        assertThat(compare("PT Maju Jaya Tbk", "Maju Jaya")).extracting(Match::outcome).isEqualTo(Match.Outcome.SURE);
        assertThat(compare("Bosch GmbH & Co. KG", "BOSCH GMBH")).extracting(Match::outcome).isEqualTo(Match.Outcome.SURE);
        assertThat(compare("Naamloze Vennootschap Nutricia", "N.V. Nutricia")).extracting(Match::outcome).isEqualTo(Match.Outcome.SURE);
    }

    @Test
    void aBrokenRulesFileStopsTheHubWithItsName(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("matching.yml"), "thresholds: {sure: 4, possible: 8, tie-margin: 1}\nmax-block-size: 100\npoints: {}\n");
        assertThatThrownBy(() -> MatchingConfiguration.loadRules(dir.toString()))
                .hasMessageContaining("'possible' (8.0) must be below 'sure' (4.0)");
        Files.writeString(dir.resolve("matching.yml"), "thresholds: {sure: 8, possible: 4}\npointz: {}\n");
        assertThatThrownBy(() -> MatchingConfiguration.loadRules(dir.toString())).hasMessageContaining("matching.yml");
        MatchRules shipped = MatchingConfiguration.loadRules("../config");
        assertThat(shipped.sure()).isGreaterThan(shipped.possible());
    }
}
