package dev.squeeze.evaluators.cluster;

import dev.squeeze.SqueezeException;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * A member's address as users write it: {@code HOST:PORT}, or {@code HOST} alone where the port may be chosen
 * ({@code --bind}: the first free one from {@value #FIRST_PORT}; {@code --join}: {@value #FIRST_PORT}).
 */
public record Endpoint(String host, OptionalInt port) {
    /** Hazelcast's usual first member port; an automatic port is the first free one from here. */
    public static final int FIRST_PORT = 5701;

    public Endpoint {
        if (host == null || host.isBlank()) throw new IllegalArgumentException("an endpoint needs a host");
    }

    /** {@code HOST[:PORT]}; {@code option} names where it came from in the error message. */
    public static Endpoint parse(String text, String option) {
        String t = text.trim();
        int colon = t.lastIndexOf(':');
        if (t.startsWith("[") || (colon >= 0 && t.indexOf(':') != colon)) {
            throw new SqueezeException(option + " '" + text + "': IPv6 addresses are not supported here; give an IPv4 address or a host name");
        }
        if (colon < 0) return new Endpoint(requireHost(t, text, option), OptionalInt.empty());
        String host = requireHost(t.substring(0, colon), text, option);
        try {
            int port = Integer.parseInt(t.substring(colon + 1));
            if (port < 1 || port > 65535) throw new NumberFormatException();
            return new Endpoint(host, OptionalInt.of(port));
        } catch (NumberFormatException e) {
            throw new SqueezeException(option + " '" + text + "': the port must be a number from 1 to 65535, e.g. " + host + ":" + FIRST_PORT);
        }
    }

    /** A comma-separated list ({@code HOST:PORT,HOST:PORT}); at least one. */
    public static List<Endpoint> parseList(String text, String option) {
        var out = new ArrayList<Endpoint>();
        for (String part : text.split(",")) {
            if (!part.isBlank()) out.add(parse(part, option));
        }
        if (out.isEmpty()) throw new SqueezeException(option + " is empty: give HOST:PORT[,HOST:PORT...], e.g. 127.0.0.1:" + FIRST_PORT);
        return List.copyOf(out);
    }

    private static String requireHost(String host, String text, String option) {
        if (host.isBlank()) throw new SqueezeException(option + " '" + text + "' has no host: give HOST:PORT, e.g. 127.0.0.1:" + FIRST_PORT);
        return host;
    }

    /** The port, or {@value #FIRST_PORT} where none was given. */
    public int portOrFirst() {
        return port.orElse(FIRST_PORT);
    }

    /** The host's IP address; {@code option} names the flag in the error message. */
    public InetAddress address(String option) {
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new SqueezeException(option + " '" + this + "': unknown host " + host + "; give an IP address or a name this machine resolves");
        }
    }

    @Override
    public String toString() {
        return port.isPresent() ? host + ":" + port.getAsInt() : host;
    }
}
