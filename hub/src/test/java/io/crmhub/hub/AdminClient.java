package io.crmhub.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/** The hub's HTTP surfaces as a test sees them: real requests on loopback, Basic credentials. */
final class AdminClient {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final int port;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    AdminClient(int port) {
        this.port = port;
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /** Sends as {@code user} (password = user name, the embedded profile's test users); null for anonymous. */
    HttpResponse<String> send(String user, HttpRequest.Builder request) throws IOException, InterruptedException {
        return send(user, user, request);
    }

    HttpResponse<String> send(String user, String password, HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(authed(user, password, request), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String user, String path) throws IOException, InterruptedException {
        return send(user, HttpRequest.newBuilder(uri(path)).GET());
    }

    /** GET that must answer 200, as JSON. */
    JsonNode getJson(String user, String path) throws IOException, InterruptedException {
        HttpResponse<String> r = get(user, path);
        assertThat(r.statusCode()).as(path + " " + r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    /** POST of a JSON body, as an API client sends it (no CSRF token needed). */
    HttpResponse<String> postJson(String user, String path, String json) throws IOException, InterruptedException {
        return send(user, HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    static HttpRequest authed(String user, String password, HttpRequest.Builder request) {
        if (user != null) {
            request.header("Authorization", "Basic " + Base64.getEncoder()
                    .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
        }
        return request.build();
    }
}
