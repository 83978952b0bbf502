package dev.switchboard.ui;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;
import org.springframework.web.reactive.function.server.RouterFunction;

import dev.switchboard.support.GatewayIT;
import dev.switchboard.support.RawHttp;

/**
 * Every endpoint of the admin API and the dashboard, read off the application's own router functions (so a
 * new one is covered the day it is added), refuses a caller without the admin key or a session: 401 for the
 * API, a redirect to sign-in for a page. A wrong key and a forged session cookie are refused the same way;
 * the viewer key reads every {@code GET} and is refused every change.
 */
class AdminEndpointsGuardIT extends GatewayIT {
    private static final Pattern ROUTE = Pattern.compile("\\((GET|POST|PATCH|PUT|DELETE) && (/(?:admin|ui)[^\\s)]*)\\)");

    @Autowired
    ApplicationContext context;

    @Test
    void noAdminOrDashboardEndpointAnswersWithoutTheAdminKey() {
        Set<String> routes = new LinkedHashSet<>();
        for (RouterFunction<?> function : context.getBeansOfType(RouterFunction.class).values()) {
            Matcher m = ROUTE.matcher(function.toString());
            while (m.find()) routes.add(m.group(1) + " " + m.group(2));
        }
        assertThat(routes).as("the router functions were read").contains("GET /admin/usage/overview", "GET /admin/usage/series",
                "POST /admin/keys/{name}/revoke", "GET /ui/{page}", "GET /admin/upstreams", "GET /admin/config");
        RawHttp raw = new RawHttp(gatewayUrl());
        for (String route : routes) {
            String method = route.substring(0, route.indexOf(' '));
            String path = route.substring(route.indexOf(' ') + 1).replaceAll("\\{page}", "overview").replaceAll("\\{[^}]+}", "x");
            if (path.equals("/ui/login") || path.equals("/ui") || path.equals("/ui/")) continue; // the way in, and its redirect
            if (path.startsWith("/admin/") && !method.equals("GET")) {
                HttpResponse<byte[]> viewer = raw.send(raw.request(path).header("Authorization", "Bearer it-viewer-key")
                        .header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString("{}")).build());
                assertThat(viewer.statusCode()).as(route + " with the viewer key").isEqualTo(403);
            }
            for (String[] credentials : new String[][] {{}, {"Authorization", "Bearer wrong-key"},
                    {"Cookie", UiSessions.COOKIE + "=AAAA.9999999999.forged"}}) {
                HttpRequest.Builder b = raw.request(path).method(method, method.equals("GET")
                        ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString("{}"));
                if (!method.equals("GET")) b.header("Content-Type", "application/json");
                if (credentials.length > 0) b.header(credentials[0], credentials[1]);
                HttpResponse<byte[]> r = raw.send(b.build());
                String body = new String(r.body(), StandardCharsets.UTF_8);
                if (path.startsWith("/admin/")) {
                    assertThat(r.statusCode()).as(route + " with " + String.join(" ", credentials) + ": " + body).isEqualTo(401);
                } else {
                    assertThat(r.statusCode()).as(route + " with " + String.join(" ", credentials)).isEqualTo(303);
                    assertThat(r.headers().firstValue("Location")).as(route).hasValue("/ui/login");
                }
            }
        }
    }
}
