package dev.rollguard.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Which addresses the server may send to on a spec's behalf (webhook channels, Prometheus): any public address, and
 * of the others only those the operator allows. A service admin writes these URLs; without a policy they reach the
 * server's own loopback services, the cloud's metadata endpoint and the internal network, and any answer read back is
 * a way in. Pure: it judges an address; {@link Outgoing} resolves names and pins the address judged.
 *
 * @param kinds  kinds of non-public address allowed ({@code --allow-outgoing loopback,private})
 * @param ranges further ranges allowed ({@code --allow-outgoing 10.20.0.0/16})
 */
public record OutgoingPolicy(Set<Kind> kinds, List<Range> ranges) {
    public OutgoingPolicy {
        kinds = kinds.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(kinds));
        ranges = List.copyOf(ranges);
    }

    /** Public addresses only: the default. */
    public static final OutgoingPolicy PUBLIC_ONLY = new OutgoingPolicy(Set.of(), List.of());

    /** What an address is, beyond public: each kind is refused unless allowed by name. */
    public enum Kind {
        LOOPBACK("loopback"),
        /** 169.254.0.0/16 and fe80::/10 (the metadata address is a kind of its own). */
        LINK_LOCAL("link-local"),
        /** The cloud's instance metadata (169.254.169.254, fd00:ec2::254): credentials live there. */
        METADATA("metadata"),
        /** RFC 1918 and unique-local IPv6 (fc00::/7). */
        PRIVATE("private"),
        /** Carrier-grade NAT's 100.64.0.0/10. */
        SHARED("shared"),
        /** 0.0.0.0/8, ::, multicast, 240.0.0.0/4 and the broadcast address: never a receiver. */
        UNROUTABLE("unroutable");

        public final String label;

        Kind(String label) { this.label = label; }
    }

    /** An address range in CIDR notation. */
    public record Range(byte[] network, int bits, String text) {
        public static Range parse(String cidr) {
            int slash = cidr.indexOf('/');
            String addr = slash < 0 ? cidr : cidr.substring(0, slash);
            if (!addr.matches("[0-9a-fA-F:.]+") || !(addr.contains(".") || addr.contains(":"))) {
                throw new IllegalArgumentException("not an address range: '" + cidr + "' (a kind: "
                        + String.join(", ", labels()) + ", or a CIDR such as 10.20.0.0/16)");
            }
            byte[] bytes;
            try {
                bytes = InetAddress.getByName(addr).getAddress();
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("not an address: '" + addr + "'");
            }
            int bits;
            try {
                bits = slash < 0 ? bytes.length * 8 : Integer.parseInt(cidr.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a prefix length: '" + cidr + "'");
            }
            if (bits < 0 || bits > bytes.length * 8) throw new IllegalArgumentException("prefix length out of range: '" + cidr + "'");
            return new Range(bytes, bits, cidr);
        }

        public boolean contains(InetAddress a) {
            byte[] b = a.getAddress();
            if (b.length != network.length) return false;
            for (int i = 0; i < bits; i++) {
                int mask = 0x80 >> (i % 8);
                if ((b[i / 8] & mask) != (network[i / 8] & mask)) return false;
            }
            return true;
        }
    }

    /** Parses the operator's list: kinds by name and CIDR ranges, comma-separated. */
    public static OutgoingPolicy parse(String list) {
        if (list == null || list.isBlank()) return PUBLIC_ONLY;
        Set<Kind> kinds = EnumSet.noneOf(Kind.class);
        List<Range> ranges = new ArrayList<>();
        for (String item : list.split(",")) {
            String s = item.strip().toLowerCase(Locale.ROOT);
            if (s.isEmpty()) continue;
            Optional<Kind> k = List.of(Kind.values()).stream().filter(x -> x.label.equals(s)).findFirst();
            if (k.isPresent()) kinds.add(k.get());
            else ranges.add(Range.parse(s));
        }
        return new OutgoingPolicy(kinds, ranges);
    }

    static List<String> labels() {
        return List.of(Kind.values()).stream().map(k -> k.label).toList();
    }

    /** The address's kind; empty for a public address. */
    public static Optional<Kind> kind(InetAddress a) {
        // ::1 and :: are compatible-form too, but they are IPv6's own loopback and unspecified addresses
        if (a instanceof Inet6Address v6 && v6.isIPv4CompatibleAddress() && !a.isLoopbackAddress() && !a.isAnyLocalAddress()) {
            byte[] b = v6.getAddress();
            try {
                return kind(InetAddress.getByAddress(new byte[]{b[12], b[13], b[14], b[15]}));
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }
        if (METADATA_V4.contains(a) || METADATA_V6.contains(a)) return Optional.of(Kind.METADATA);
        if (a.isLoopbackAddress()) return Optional.of(Kind.LOOPBACK);
        if (a.isLinkLocalAddress()) return Optional.of(Kind.LINK_LOCAL);
        if (a.isAnyLocalAddress() || a.isMulticastAddress() || THIS_NETWORK.contains(a) || RESERVED.contains(a)) {
            return Optional.of(Kind.UNROUTABLE);
        }
        if (a.isSiteLocalAddress() || UNIQUE_LOCAL.contains(a)) return Optional.of(Kind.PRIVATE);
        if (a instanceof Inet4Address && CGNAT.contains(a)) return Optional.of(Kind.SHARED);
        return Optional.empty();
    }

    private static final Range METADATA_V4 = Range.parse("169.254.169.254/32");
    private static final Range METADATA_V6 = Range.parse("fd00:ec2::254/128");
    private static final Range THIS_NETWORK = Range.parse("0.0.0.0/8");
    private static final Range RESERVED = Range.parse("240.0.0.0/4");
    private static final Range UNIQUE_LOCAL = Range.parse("fc00::/7");
    private static final Range CGNAT = Range.parse("100.64.0.0/10");

    /** Why the policy refuses this address, or empty when it may be sent to. */
    public Optional<String> refusal(InetAddress a) {
        Optional<Kind> k = kind(a);
        if (k.isEmpty() || kinds.contains(k.get()) || ranges.stream().anyMatch(r -> r.contains(a))) return Optional.empty();
        return Optional.of(a.getHostAddress() + " is a " + k.get().label + " address, which the outgoing address policy refuses"
                + " (the operator may allow it: rollguard server --allow-outgoing " + k.get().label + " or a CIDR range)");
    }

    /** For the start-up log. */
    public String describe() {
        List<String> allowed = new ArrayList<>(kinds.stream().map(k -> k.label).sorted().toList());
        ranges.forEach(r -> allowed.add(r.text()));
        return "outgoing requests (webhooks, Prometheus): public addresses" + (allowed.isEmpty() ? " only" : " and " + String.join(", ", allowed));
    }
}
