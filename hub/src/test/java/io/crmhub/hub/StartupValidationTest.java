package io.crmhub.hub;

import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A wrong or missing setting stops the hub at start-up, naming the property. */
class StartupValidationTest {

    /** Starts the hub in the prod profile with nothing configured but {@code args}. */
    private static void runProd(String... args) {
        List<String> all = new ArrayList<>(List.of("--spring.profiles.active=prod", "--hub.crm.url=", "--hub.erp.url=",
                "--hub.mail.host=", "--camel.component.kafka.brokers=", "--HUB_ADMIN_PASSWORD=", "--HUB_VIEWER_PASSWORD="));
        all.addAll(List.of(args));
        new SpringApplicationBuilder(HubApplication.class).web(WebApplicationType.NONE)
                .run(all.toArray(String[]::new)).close();
    }

    @Test
    void prodProfileWithoutEndpointsOrPasswordsRefusesToStartAndNamesTheProperties() {
        assertThatThrownBy(StartupValidationTest::runProd)
                .hasStackTraceContaining("'crm.url'")
                .hasStackTraceContaining("'erp.url'")
                .hasStackTraceContaining("'mail.host'")
                .hasStackTraceContaining("'security.users[0].password'")
                .hasStackTraceContaining("never in the repository");
    }

    @Test
    void malformedValueIsRejectedWithThePropertyAndTheRule() {
        assertThatThrownBy(() -> runProd("--hub.crm.url=postgres://wrong", "--hub.erp.url=jdbc:mariadb://x/erp",
                "--hub.mail.host=mail", "--HUB_ADMIN_PASSWORD=a", "--HUB_VIEWER_PASSWORD=b",
                "--hub.security.users[0].username=ops", "--hub.security.users[0].password=x",
                "--hub.security.users[0].roles[0]=superuser"))
                .hasStackTraceContaining("'crm.url'")
                .hasStackTraceContaining("must be a jdbc:postgresql: URL")
                .hasStackTraceContaining("'security.users[0].roles[0]'")
                .hasStackTraceContaining("must be admin or viewer");
    }
}
