package org.cd4j.web;

import io.javalin.http.Context;
import io.javalin.http.Cookie;
import io.javalin.http.SameSite;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.Set;

/**
 * Who may talk to the server, checked before every request.
 *
 * <ul>
 *   <li><b>Access token.</b> On any address other than loopback (or when {@code --token} is
 *       given) every API call must carry the token: header {@code X-Cd4j-Token},
 *       {@code Authorization: Bearer …}, or the {@code cd4j_token} cookie that visiting the
 *       printed address ({@code /?token=…}) sets (HttpOnly, SameSite=Strict).</li>
 *   <li><b>Other web sites.</b> A page on another site can make the browser send requests to
 *       127.0.0.1. Changing requests must carry the {@code X-Cd4j} header, which a cross-site page
 *       can only send after a CORS preflight this server never grants, and a present
 *       {@code Origin} must be this server; without a token, the {@code Host} must be a loopback
 *       name, which defeats DNS rebinding.</li>
 * </ul>
 */
final class Guard {
    static final String COOKIE = "cd4j_token";
    static final String HEADER = "X-Cd4j-Token";
    static final String CSRF_HEADER = "X-Cd4j";
    private static final Set<String> LOOPBACK_NAMES = Set.of("localhost", "127.0.0.1", "[::1]", "::1");

    private final String token;

    /** @param token the required token, or null when none is required */
    Guard(String token) {
        this.token = token;
    }

    boolean tokenRequired() {
        return token != null;
    }

    /** Runs before every request; throws {@link ApiException} to refuse it. */
    void check(Context ctx) {
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("X-Frame-Options", "DENY");
        ctx.header("Referrer-Policy", "no-referrer");
        ctx.header("Content-Security-Policy", "default-src 'self'; img-src 'self' blob: data:; style-src 'self';"
                + " script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'");
        if (token == null && !loopbackHost(ctx.header("Host"))) {
            throw new ApiException(403, "this server answers only to localhost, 127.0.0.1 or [::1]");
        }
        String path = ctx.path();
        if (!path.startsWith("/api/")) {
            String q = ctx.queryParam("token");
            if (q != null && token != null) {
                if (!matches(q)) throw new ApiException(401, "wrong access token: use the address cd4j serve printed");
                // remember the token so the page's requests carry it; HttpOnly keeps scripts from reading it
                ctx.cookie(new Cookie(COOKIE, token, "/", -1, false, true, null, SameSite.STRICT));
                ctx.redirect("/");
                ctx.skipRemainingHandlers();
            }
            return;
        }
        String origin = ctx.header("Origin");
        if (origin != null && !sameOrigin(origin, ctx.header("Host"))) {
            throw new ApiException(403, "requests from other web sites are refused");
        }
        String method = ctx.method().name().toUpperCase(Locale.ROOT);
        if (!method.equals("GET") && !method.equals("HEAD") && !method.equals("OPTIONS") && ctx.header(CSRF_HEADER) == null) {
            throw new ApiException(403, "changing requests need the header " + CSRF_HEADER + ": 1 (cross-site requests are refused)");
        }
        if (token != null && !matches(presented(ctx))) {
            throw new ApiException(401, "this server needs its access token: open the address cd4j serve printed (…/?token=…)"
                    + " or send the " + HEADER + " header");
        }
    }

    private static String presented(Context ctx) {
        String h = ctx.header(HEADER);
        if (h != null) return h;
        String auth = ctx.header("Authorization");
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) return auth.substring(7).strip();
        return ctx.cookie(COOKIE);
    }

    /** Constant-time comparison, so response times do not reveal the token. */
    private boolean matches(String candidate) {
        if (candidate == null) return false;
        return MessageDigest.isEqual(candidate.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
    }

    static boolean loopbackHost(String hostHeader) {
        if (hostHeader == null) return false;
        String h = hostHeader.strip().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end > 0 && LOOPBACK_NAMES.contains(h.substring(0, end + 1));
        }
        int colon = h.indexOf(':');
        return LOOPBACK_NAMES.contains(colon >= 0 ? h.substring(0, colon) : h);
    }

    private static boolean sameOrigin(String origin, String host) {
        if (host == null) return false;
        try {
            URI u = URI.create(origin);
            String auth = u.getRawAuthority();
            return auth != null && auth.equalsIgnoreCase(host.strip());
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Whether an address is a loopback one (no token needed there unless one is given). */
    static boolean isLoopback(String host) {
        return LOOPBACK_NAMES.contains(host.toLowerCase(Locale.ROOT)) || host.startsWith("127.");
    }
}
