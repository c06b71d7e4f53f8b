package io.crmhub.hub.security;

import io.hawt.springboot.security.HawtioSpringSecurityLoginModule;
import io.hawt.web.auth.RolePrincipal;
import org.junit.jupiter.api.Test;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.AuthorityUtils;

import javax.security.auth.Subject;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class HawtioSpringSecurityLoginModuleTest {

    @Test
    void springRolesBecomeHawtioRolePrincipalsAndLeaveOnLogout() {
        Subject subject = new Subject();
        subject.getPrincipals().add(UsernamePasswordAuthenticationToken.authenticated("ops", null,
                AuthorityUtils.createAuthorityList("ROLE_ADMIN", "ROLE_VIEWER", "SCOPE_other")));
        HawtioSpringSecurityLoginModule module = new HawtioSpringSecurityLoginModule();
        module.initialize(subject, null, Map.of(), Map.of());

        assertThat(module.login()).isTrue();
        assertThat(module.commit()).isTrue();
        assertThat(subject.getPrincipals(RolePrincipal.class)).extracting(RolePrincipal::getName)
                .containsExactlyInAnyOrder("admin", "viewer");

        module.logout();
        assertThat(subject.getPrincipals(RolePrincipal.class)).isEmpty();
    }

    @Test
    void unauthenticatedSubjectGetsNoRole() {
        Subject subject = new Subject();
        subject.getPrincipals().add(new UsernamePasswordAuthenticationToken("ops", "pw",
                AuthorityUtils.createAuthorityList("ROLE_ADMIN").subList(0, 0)));
        HawtioSpringSecurityLoginModule module = new HawtioSpringSecurityLoginModule();
        module.initialize(subject, null, Map.of(), Map.of());
        assertThat(module.commit()).isFalse();
        assertThat(subject.getPrincipals(RolePrincipal.class)).isEmpty();
    }
}
