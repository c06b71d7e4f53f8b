package io.crmhub.hub.security;

import io.crmhub.connectors.config.HubProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetails;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.intercept.AuthorizationFilter;
import org.springframework.security.web.csrf.CookieCsrfTokenRepository;
import org.springframework.security.web.csrf.CsrfTokenRequestAttributeHandler;

import java.util.List;
import java.util.Locale;

import static org.springframework.security.config.Customizer.withDefaults;

/**
 * Who may use the management surfaces and the admin API. Every surface needs a login except the
 * bare health status (for orchestrators); {@code viewer} may look, only {@code admin} may operate.
 */
@Configuration(proxyBeanMethods = false)
@EnableWebSecurity
public class SecurityConfiguration {

    public static final String ADMIN = "ADMIN";
    public static final String VIEWER = "VIEWER";

    @Bean
    public PasswordEncoder passwordEncoder() {
        return PasswordEncoderFactories.createDelegatingPasswordEncoder();
    }

    /** Users from {@code hub.security.users}; plain passwords are hashed at start-up. */
    @Bean
    public UserDetailsService users(HubProperties props, PasswordEncoder encoder) {
        List<UserDetails> users = props.security().users().stream()
                .map(u -> User.withUsername(u.username())
                        .password(u.password().startsWith("{") ? u.password() : encoder.encode(u.password()))
                        .roles(u.roles().stream().map(r -> r.toUpperCase(Locale.ROOT)).toArray(String[]::new))
                        .build())
                .toList();
        return new InMemoryUserDetailsManager(users);
    }

    static boolean isApiClientJsonRequest(jakarta.servlet.http.HttpServletRequest request) {
        String auth = request.getHeader("Authorization");
        String type = request.getContentType();
        return request.getRequestURI().startsWith(request.getContextPath() + "/api/")
                && auth != null && auth.startsWith("Basic ")
                && type != null && type.toLowerCase(Locale.ROOT).startsWith("application/json");
    }

    @Bean
    public SecurityFilterChain filterChain(HttpSecurity http) throws Exception {
        CsrfTokenRequestAttributeHandler csrfHandler = new CsrfTokenRequestAttributeHandler();
        // Hawtio reads the token from the XSRF-TOKEN cookie and sends it back as a header.
        csrfHandler.setCsrfRequestAttributeName(null);
        http
                .authorizeHttpRequests(auth -> auth
                        .requestMatchers("/actuator/health", "/actuator/health/liveness", "/actuator/health/readiness").permitAll()
                        .requestMatchers("/login", "/error").permitAll()
                        .requestMatchers(HttpMethod.GET, "/api/**").hasAnyRole(VIEWER, ADMIN)
                        .requestMatchers("/api/**").hasRole(ADMIN)
                        .requestMatchers("/actuator/**").hasAnyRole(VIEWER, ADMIN)
                        .anyRequest().authenticated())
                .formLogin(form -> form.defaultSuccessUrl("/actuator/hawtio/", false))
                .httpBasic(withDefaults())
                .logout(logout -> logout.logoutUrl("/logout").logoutSuccessUrl("/login?logout"))
                .csrf(csrf -> csrf
                        .csrfTokenRepository(CookieCsrfTokenRepository.withHttpOnlyFalse())
                        .csrfTokenRequestHandler(csrfHandler)
                        // API clients authenticate every request and send JSON; a cross-site form can
                        // do neither, so such requests need no CSRF token.
                        .ignoringRequestMatchers(SecurityConfiguration::isApiClientJsonRequest))
                .addFilterAfter(new JolokiaAccessFilter(), AuthorizationFilter.class);
        return http.build();
    }
}
