package dev.switchboard.ui;

import static org.springframework.web.reactive.function.server.RequestPredicates.GET;
import static org.springframework.web.reactive.function.server.RequestPredicates.POST;
import static org.springframework.web.reactive.function.server.RouterFunctions.route;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Properties;
import java.util.Set;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.util.HtmlUtils;

import dev.switchboard.config.CurrentRouteTable;
import dev.switchboard.config.KeyDigest;
import dev.switchboard.config.RouteTable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The dashboard's pages at {@code /ui}: sign-in with the admin key (or the read-only viewer key), sign-out, and one HTML shell per page whose
 * script ({@code /ui/assets/app.js}) draws it from the admin API. The shell is served only with a session; a
 * browser without one is sent to the sign-in page. The scripts and styles are static files of the jar, and the
 * chart library a WebJar: nothing is built with Node.
 */
@Configuration(proxyBeanMethods = false)
public class UiPages {
    /** The pages, in the navigation's order. */
    static final Set<String> PAGES = Set.of("overview", "upstreams", "requests", "keys", "config");
    /**
     * Scripts and styles from this origin only, no framing, no referrer to other sites (none at all would make the browser send {@code Origin: null} with our
     * own forms): the pages show secrets once (a new
     * key) and change keys and budgets.
     */
    private static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";

    private final CurrentRouteTable routes;
    private final UiSessions sessions;
    private final String shell = template("ui/shell.html").replace("{{uplot}}", webJarVersion("org.webjars.npm", "uplot"));
    private final String login = template("ui/login.html");

    public UiPages(CurrentRouteTable routes, UiSessions sessions) {
        this.routes = routes;
        this.sessions = sessions;
    }

    @Bean
    RouterFunction<ServerResponse> uiRoutes() {
        return route(GET("/ui").or(GET("/ui/")), request -> redirect("/ui/overview"))
                .andRoute(GET("/ui/login"), request -> loginPage(200, ""))
                .andRoute(POST("/ui/login"), this::signIn)
                .andRoute(POST("/ui/logout"), this::signOut)
                .andRoute(GET("/ui/{page}"), this::page);
    }

    private Mono<ServerResponse> page(ServerRequest request) {
        String page = request.pathVariable("page");
        if (!PAGES.contains(page)) {
            return ServerResponse.status(404).contentType(MediaType.TEXT_PLAIN).bodyValue("No such page: the dashboard starts at /ui");
        }
        RouteTable table = routes.get();
        UiSessions.Session session = table.adminKey().isEmpty() ? null : sessions.of(request, table.adminKey(), table.viewerKey());
        if (session == null) return redirect("/ui/login");
        String html = shell.replace("{{page}}", page).replace("{{csrf}}", HtmlUtils.htmlEscape(session.csrfToken()))
                .replace("{{role}}", session.role().name().toLowerCase(java.util.Locale.ROOT));
        return html(200, html);
    }

    private Mono<ServerResponse> signIn(ServerRequest request) {
        if (!sameOrigin(request)) return loginPage(403, "Sign-in must come from this page.");
        RouteTable table = routes.get();
        if (table.adminKey().isEmpty()) return loginPage(404, "The dashboard is off: set admin-key in the routes file.");
        return request.formData().flatMap(form -> {
            String presented = form.getFirst("key") == null ? "" : form.getFirst("key").strip();
            UiSessions.Role role = KeyDigest.matches(presented, table.adminKey()) ? UiSessions.Role.ADMIN
                    : !table.viewerKey().isEmpty() && KeyDigest.matches(presented, table.viewerKey()) ? UiSessions.Role.VIEWER : null;
            if (role == null) return loginPage(401, "That is neither the admin key nor the viewer key.");
            // SecureRandom may read /dev/urandom: off the event loop
            return Mono.fromCallable(() -> sessions.issue(table.adminKey(), table.viewerKey(), role)).subscribeOn(Schedulers.boundedElastic())
                    .flatMap(session -> ServerResponse.seeOther(URI.create("/ui/overview"))
                            .cookie(UiSessions.cookie(request, session, UiSessions.LIFETIME))
                            .header(HttpHeaders.CACHE_CONTROL, "no-store").build());
        });
    }

    private Mono<ServerResponse> signOut(ServerRequest request) {
        RouteTable table = routes.get();
        UiSessions.Session session = table.adminKey().isEmpty() ? null : sessions.of(request, table.adminKey(), table.viewerKey());
        if (session == null) return redirect("/ui/login");
        if (!sameOrigin(request)) return loginPage(403, "Sign-out must come from the dashboard.");
        return request.formData().flatMap(form -> {
            String token = form.getFirst("csrf");
            if (!UiSessions.csrfMatches(session, token != null ? token : request.headers().firstHeader(UiSessions.CSRF_HEADER))) {
                return ServerResponse.status(403).contentType(MediaType.TEXT_PLAIN).bodyValue("Missing or wrong CSRF token: reload the page");
            }
            sessions.signOut(session);
            return ServerResponse.seeOther(URI.create("/ui/login")).cookie(UiSessions.cookie(request, "", Duration.ZERO))
                    .header(HttpHeaders.CACHE_CONTROL, "no-store").build();
        });
    }

    /**
     * A browser always says where a form was posted from; one posted from another site is refused even before
     * SameSite and the CSRF token would stop it.
     */
    private static boolean sameOrigin(ServerRequest request) {
        String origin = request.headers().firstHeader(HttpHeaders.ORIGIN);
        if (origin == null || origin.equals("null")) return origin == null;
        String forwarded = request.headers().firstHeader("X-Forwarded-Host");
        String host = forwarded != null ? forwarded : request.headers().firstHeader(HttpHeaders.HOST);
        try {
            URI uri = URI.create(origin);
            String authority = uri.getPort() < 0 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
            return host != null && host.equalsIgnoreCase(authority);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private Mono<ServerResponse> loginPage(int status, String error) {
        return html(status, login.replace("{{error}}", HtmlUtils.htmlEscape(error)).replace("{{error-hidden}}", error.isEmpty() ? "hidden" : ""));
    }

    private static Mono<ServerResponse> redirect(String path) {
        return ServerResponse.seeOther(URI.create(path)).header(HttpHeaders.CACHE_CONTROL, "no-store").build();
    }

    private static Mono<ServerResponse> html(int status, String html) {
        return ServerResponse.status(status).contentType(MediaType.TEXT_HTML)
                .header(HttpHeaders.CACHE_CONTROL, "no-store")
                .header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                .header("X-Content-Type-Options", "nosniff")
                .header("X-Frame-Options", "DENY")
                .header("Referrer-Policy", "same-origin")
                .bodyValue(html);
    }

    /** The version of a WebJar on the classpath, read once here rather than by a locator on each request. */
    static String webJarVersion(String group, String artifact) {
        Properties pom = new Properties();
        try (InputStream in = UiPages.class.getClassLoader().getResourceAsStream("META-INF/maven/" + group + "/" + artifact + "/pom.properties")) {
            if (in == null) throw new IllegalStateException("The WebJar " + group + ":" + artifact + " is missing from the jar");
            pom.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return pom.getProperty("version");
    }

    private static String template(String resource) {
        try (InputStream in = UiPages.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException(resource + " is missing from the jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
