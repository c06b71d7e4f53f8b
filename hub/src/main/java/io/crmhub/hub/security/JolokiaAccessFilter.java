package io.crmhub.hub.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Role-based access to Jolokia, the JMX bridge behind Hawtio: a {@code viewer} may read attributes
 * and call read-only operations ({@code get*}, {@code dump*}, {@code list*} ...); writing
 * attributes and every other operation (stop a route, run a GC, change a setting) needs
 * {@code admin}. Anything it cannot classify is refused to non-admins.
 */
public class JolokiaAccessFilter extends OncePerRequestFilter {

    private static final String PREFIX = "/actuator/jolokia";
    private static final Set<String> READ_TYPES = Set.of("read", "list", "search", "version");
    /** Operations safe for viewers: they report, they do not change state or reveal message bodies. */
    private static final Pattern READ_ONLY_OPERATION = Pattern.compile(
            "^(get|is|has|can|list|dump|count|explain|information)[A-Za-z0-9]*(\\(.*\\))?$");
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !request.getRequestURI().startsWith(request.getContextPath() + PREFIX);
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (isAdmin()) {
            chain.doFilter(request, response);
            return;
        }
        HttpServletRequest effective = request;
        List<Operation> operations;
        if ("POST".equalsIgnoreCase(request.getMethod())) {
            byte[] body = request.getInputStream().readAllBytes();
            operations = fromJson(body);
            effective = new CachedBodyRequest(request, body);
        } else {
            operations = List.of(fromPath(request.getRequestURI().substring(request.getContextPath().length() + PREFIX.length())));
        }
        if (operations.isEmpty() || !operations.stream().allMatch(Operation::readOnly)) {
            response.sendError(HttpServletResponse.SC_FORBIDDEN, "Operating through Jolokia needs the admin role");
            return;
        }
        chain.doFilter(effective, response);
    }

    private static boolean isAdmin() {
        Authentication auth = SecurityContextHolder.getContext().getAuthentication();
        return auth != null && auth.getAuthorities().stream()
                .anyMatch(a -> ("ROLE_" + SecurityConfiguration.ADMIN).equals(a.getAuthority()));
    }

    /** One Jolokia request: its type and, for exec, the operation. */
    record Operation(String type, String operation) {

        boolean readOnly() {
            if (type == null) {
                return false;
            }
            if (READ_TYPES.contains(type)) {
                return true;
            }
            return "exec".equals(type) && operation != null && READ_ONLY_OPERATION.matcher(operation).matches();
        }
    }

    static Operation fromPath(String path) {
        // GET /actuator/jolokia/<type>/<mbean>/<operation-or-attribute>/...
        String[] parts = path.replaceFirst("^/+", "").split("/");
        if (parts.length == 0 || parts[0].isEmpty()) {
            return new Operation("version", null);
        }
        String type = parts[0].toLowerCase(java.util.Locale.ROOT);
        String operation = parts.length > 2 ? URLDecoder.decode(parts[2], StandardCharsets.UTF_8) : null;
        return new Operation(type, operation);
    }

    static List<Operation> fromJson(byte[] body) {
        List<Operation> ops = new ArrayList<>();
        try {
            JsonNode root = JSON.readTree(body);
            if (root == null) {
                return ops;
            }
            for (JsonNode node : root.isArray() ? root : List.of(root)) {
                String type = node.path("type").asText(null);
                ops.add(new Operation(type == null ? null : type.toLowerCase(java.util.Locale.ROOT),
                        node.path("operation").asText(null)));
            }
        } catch (IOException e) {
            ops.clear();
            ops.add(new Operation(null, null));
        }
        return ops;
    }

    /** The request with its body read once and replayable for Jolokia. */
    private static final class CachedBodyRequest extends HttpServletRequestWrapper {

        private final byte[] body;

        CachedBodyRequest(HttpServletRequest request, byte[] body) {
            super(request);
            this.body = body;
        }

        @Override
        public ServletInputStream getInputStream() {
            ByteArrayInputStream in = new ByteArrayInputStream(body);
            return new ServletInputStream() {
                @Override
                public boolean isFinished() {
                    return in.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    throw new UnsupportedOperationException("synchronous reads only");
                }

                @Override
                public int read() {
                    return in.read();
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    return in.read(b, off, len);
                }
            };
        }

        @Override
        public java.io.BufferedReader getReader() {
            return new java.io.BufferedReader(new java.io.InputStreamReader(getInputStream(), StandardCharsets.UTF_8));
        }
    }
}
