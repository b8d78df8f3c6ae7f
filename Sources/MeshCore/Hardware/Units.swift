/// Quantities with units, as written in hardware profiles: `160 GB/s`, `400 Gbit/s`, `3 us`,
/// `989 TFLOP/s`, `80 GB`. A bare number is taken in the base unit (bytes/s, seconds, FLOP/s,
/// bytes). Decimal prefixes (k, M, G, T, P = 10³…10¹⁵) and binary ones (Ki, Mi, Gi, Ti = 2¹⁰…2⁴⁰).
public enum Units {
    public enum Kind: String, Sendable {
        case bandwidth = "a bandwidth such as 160 GB/s or 400 Gbit/s"
        case time = "a time such as 3 us or 1.5 ms"
        case flops = "a rate such as 989 TFLOP/s"
        case bytes = "a size such as 80 GB or 64 KiB"
        case factor = "a number"
    }

    /// Parses `text` as a quantity of `kind`, in base units; nil when it does not parse.
    public static func parse(_ text: String, as kind: Kind) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var numberEnd = trimmed.startIndex
        for index in trimmed.indices {
            let c = trimmed[index]
            if c.isNumber || c == "." || c == "e" || c == "E" || c == "-" || c == "+" {
                // An exponent letter must be followed by a digit or sign to count.
                if c == "e" || c == "E" {
                    let next = trimmed.index(after: index)
                    guard next < trimmed.endIndex, trimmed[next].isNumber || trimmed[next] == "-" || trimmed[next] == "+" else { break }
                }
                numberEnd = trimmed.index(after: index)
            } else {
                break
            }
        }
        guard let value = Double(trimmed[..<numberEnd]), value.isFinite else { return nil }
        let unit = trimmed[numberEnd...].trimmingCharacters(in: .whitespaces)
        if unit.isEmpty { return value }
        guard let factor = factor(unit, kind: kind) else { return nil }
        let result = value * factor
        return result.isFinite ? result : nil
    }

    private static let decimal: [(String, Double)] = [("P", 1e15), ("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3), ("K", 1e3), ("", 1)]
    private static let binary: [(String, Double)] = [("Ti", 1_099_511_627_776), ("Gi", 1_073_741_824), ("Mi", 1_048_576), ("Ki", 1024)]

    private static func factor(_ unit: String, kind: Kind) -> Double? {
        switch kind {
        case .factor:
            return nil
        case .time:
            let units: [String: Double] = ["s": 1, "ms": 1e-3, "us": 1e-6, "\u{B5}s": 1e-6, "\u{3BC}s": 1e-6, "ns": 1e-9]
            return units[unit]
        case .bytes:
            for (prefix, f) in binary + decimal where unit == prefix + "B" { return f }
            return nil
        case .bandwidth:
            for (prefix, f) in binary + decimal {
                if unit == prefix + "B/s" { return f }
                if unit == prefix + "bit/s" || unit == prefix + "b/s" || unit == prefix + "bps" { return f / 8 }
            }
            return nil
        case .flops:
            for (prefix, f) in decimal where unit == prefix + "FLOP/s" || unit == prefix + "FLOPS" { return f }
            return nil
        }
    }
}
