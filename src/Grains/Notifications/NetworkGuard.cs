using System.Net;
using System.Net.Sockets;

namespace BudgetCluster.Grains.Notifications;

/// <summary>
/// Which addresses a webhook may be sent to (API.md §10): none of loopback, private (RFC 1918,
/// unique local), shared (CGNAT), link-local (the cloud metadata address 169.254.169.254 among
/// them), unspecified, multicast, broadcast or reserved ranges, and IPv6 forms that embed such an
/// IPv4 address (mapped, NAT64), unless private networks are allowed.
/// </summary>
public static class NetworkGuard
{
    private static readonly (IPAddress Network, int Bits)[] BlockedV4 =
    [
        (IPAddress.Parse("0.0.0.0"), 8),
        (IPAddress.Parse("10.0.0.0"), 8),
        (IPAddress.Parse("100.64.0.0"), 10),
        (IPAddress.Parse("127.0.0.0"), 8),
        (IPAddress.Parse("169.254.0.0"), 16),
        (IPAddress.Parse("172.16.0.0"), 12),
        (IPAddress.Parse("192.0.0.0"), 24),
        (IPAddress.Parse("192.0.2.0"), 24),
        (IPAddress.Parse("192.168.0.0"), 16),
        (IPAddress.Parse("198.18.0.0"), 15),
        (IPAddress.Parse("198.51.100.0"), 24),
        (IPAddress.Parse("203.0.113.0"), 24),
        (IPAddress.Parse("224.0.0.0"), 4),
        (IPAddress.Parse("240.0.0.0"), 4),
    ];

    private static readonly (IPAddress Network, int Bits)[] BlockedV6 =
    [
        (IPAddress.Parse("::"), 128),
        (IPAddress.Parse("::1"), 128),
        (IPAddress.Parse("fc00::"), 7),
        (IPAddress.Parse("fe80::"), 10),
        (IPAddress.Parse("fec0::"), 10),
        (IPAddress.Parse("ff00::"), 8),
        (IPAddress.Parse("2001:db8::"), 32),
    ];

    private static readonly (IPAddress Network, int Bits) Nat64 = (IPAddress.Parse("64:ff9b::"), 96);
    private static readonly (IPAddress Network, int Bits) LocalNat64 = (IPAddress.Parse("64:ff9b:1::"), 48);
    private static readonly (IPAddress Network, int Bits) SixToFour = (IPAddress.Parse("2002::"), 16);
    private static readonly (IPAddress Network, int Bits) Compatible = (IPAddress.Parse("::"), 96);

    /// <summary>Whether <paramref name="address"/> is in a range a webhook is never sent to unless private networks are allowed.</summary>
    public static bool IsPrivate(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            return IsPrivate(address.MapToIPv4());
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return BlockedV4.Any(range => InRange(address, range));
        }

        var bytes = address.GetAddressBytes();
        if (InRange(address, LocalNat64))
        {
            // Translated by a network's own NAT64: never a public destination.
            return true;
        }

        if (InRange(address, Nat64) || (InRange(address, Compatible) && !address.Equals(IPAddress.IPv6Any) && !address.Equals(IPAddress.IPv6Loopback)))
        {
            // An IPv4 address in its last 32 bits: judged as that address.
            return IsPrivate(new IPAddress(bytes[12..]));
        }

        if (InRange(address, SixToFour))
        {
            return IsPrivate(new IPAddress(bytes[2..6]));
        }

        return BlockedV6.Any(range => InRange(address, range));
    }

    private static bool InRange(IPAddress address, (IPAddress Network, int Bits) range)
    {
        var bytes = address.GetAddressBytes();
        var network = range.Network.GetAddressBytes();
        if (bytes.Length != network.Length)
        {
            return false;
        }

        for (var bit = 0; bit < range.Bits; bit++)
        {
            var mask = 0x80 >> (bit % 8);
            if ((bytes[bit / 8] & mask) != (network[bit / 8] & mask))
            {
                return false;
            }
        }

        return true;
    }
}
