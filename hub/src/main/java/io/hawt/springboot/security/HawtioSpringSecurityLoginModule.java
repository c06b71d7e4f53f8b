package io.hawt.springboot.security;

import io.hawt.web.auth.RolePrincipal;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.GrantedAuthority;

import javax.security.auth.Subject;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.spi.LoginModule;
import java.security.Principal;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Maps the Spring Security login to Hawtio roles. Hawtio's Spring Boot integration configures JAAS
 * with Spring's {@code SecurityContextLoginModule} followed by a login module of this exact name
 * (it shipped in {@code hawtio-springboot-security}, which this project cannot obtain); this one
 * turns each {@code ROLE_X} authority of the authenticated user into a Hawtio {@link RolePrincipal}
 * {@code x}, which {@code hawtio.roles} then admits.
 */
public class HawtioSpringSecurityLoginModule implements LoginModule {

    private Subject subject;
    private final Set<Principal> added = new HashSet<>();

    @Override
    public void initialize(Subject subject, CallbackHandler callbackHandler, Map<String, ?> sharedState,
                           Map<String, ?> options) {
        this.subject = subject;
    }

    @Override
    public boolean login() {
        return true;
    }

    @Override
    public boolean commit() {
        for (Authentication auth : subject.getPrincipals(Authentication.class)) {
            if (!auth.isAuthenticated()) {
                continue;
            }
            for (GrantedAuthority authority : auth.getAuthorities()) {
                String name = authority.getAuthority();
                if (name != null && name.startsWith("ROLE_")) {
                    added.add(new RolePrincipal(name.substring("ROLE_".length()).toLowerCase(Locale.ROOT)));
                }
            }
        }
        subject.getPrincipals().addAll(added);
        return !added.isEmpty();
    }

    @Override
    public boolean abort() {
        return logout();
    }

    @Override
    public boolean logout() {
        subject.getPrincipals().removeAll(added);
        added.clear();
        return true;
    }
}
