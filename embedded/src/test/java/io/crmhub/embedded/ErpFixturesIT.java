package io.crmhub.embedded;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ErpFixturesIT {

    @Test
    void demoErpHoldsLatin1NamesAndTheDirtTheHubMustHandle() throws Exception {
        try (HikariDataSource erp = TestServices.newErpDataSource(true);
             Connection c = erp.getConnection(); Statement s = c.createStatement()) {
            List<String> names = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT CNAME, CCITY FROM CUSTMST WHERE CUSTNO IN ('0000010010','0000010012') ORDER BY CUSTNO")) {
                while (rs.next()) {
                    names.add(rs.getString(1).strip() + "|" + rs.getString(2).strip());
                }
            }
            assertThat(names).containsExactly("Müller GmbH|Köln", "Bäckerei Schröder & Söhne|Stuttgart");
            try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM CUSTMST WHERE CNAME LIKE 'Acme Products%' OR CNAME LIKE 'ACME PRODUCTS%'")) {
                rs.next();
                assertThat(rs.getInt(1)).as("one company under four spellings").isEqualTo(4);
            }
            try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM CONTMST C WHERE NOT EXISTS (SELECT 1 FROM CUSTMST A WHERE A.CUSTNO = C.CUSTNO)")) {
                rs.next();
                assertThat(rs.getInt(1)).as("orphan contacts").isEqualTo(1);
            }
        }
    }

    @Test
    void lastChangeTimestampHasOneSecondGranularity() throws Exception {
        try (HikariDataSource erp = TestServices.newErpDataSource(false);
             Connection c = erp.getConnection(); Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO CUSTMST (CUSTNO, CNAME, CSTAT, LCHG, LUSR) VALUES ('1', 'X', 'A', '2024-05-01 10:00:00.750', 'T')");
            try (ResultSet rs = s.executeQuery("SELECT LCHG FROM CUSTMST WHERE CUSTNO = '1'")) {
                rs.next();
                assertThat(rs.getTimestamp(1).getNanos()).isZero();
            }
        }
    }
}
