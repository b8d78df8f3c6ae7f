import Foundation

/// How the report and the plots print numbers: three significant figures, no exponent.
///
/// A sweep on a shared machine moves by 10–30 % between runs (Docs/CostModel.md), so more
/// figures would only print noise; fewer would hide a 5 % effect.
enum ReportNumber {
    /// `x` to `digits` significant figures, trailing zeros dropped: 1234.5 → "1230",
    /// 0.012345 → "0.0123", 2.0 → "2".
    static func text(_ x: Double, digits: Int = 3) -> String {
        guard x.isFinite else { return x.isNaN ? "–" : (x > 0 ? "∞" : "−∞") }
        guard x != 0 else { return "0" }
        var exponent = Int(floor(log10(abs(x))))
        var rounded = round(x, exponent: exponent, digits: digits)
        // 9.996 rounds to 10.0: one more integer digit, one fewer decimal.
        if abs(rounded) >= pow(10, Double(exponent + 1)) {
            exponent += 1
            rounded = round(x, exponent: exponent, digits: digits)
        }
        let decimals = max(0, digits - 1 - exponent)
        var text = String(format: "%.\(decimals)f", rounded)
        if decimals > 0 {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }

    private static func round(_ x: Double, exponent: Int, digits: Int) -> Double {
        let scale = pow(10, Double(digits - 1 - exponent))
        return (x * scale).rounded() / scale
    }

    /// A fraction as a percentage with two significant figures, at least to the unit:
    /// 0.123 → "12 %", 0.042 → "4.2 %", 1.234 → "123 %"; `signed` adds "+" to positive values.
    static func percent(_ fraction: Double, signed: Bool = false) -> String {
        let value = fraction * 100
        let body = abs(value) >= 10 ? String(Int(value.rounded())) : text(value, digits: 2)
        return (signed && value > 0 && body != "0" ? "+" : "") + body + " %"
    }

    /// A ratio as "2.31x".
    static func ratio(_ r: Double) -> String { text(r) + "x" }

    /// Seconds in ms below one second, in s above: "12.3 ms", "1.23 s".
    static func duration(_ seconds: Double) -> String {
        abs(seconds) >= 1 ? text(seconds) + " s" : text(seconds * 1000) + " ms"
    }

    /// Bits per second in Gbit/s: "1.6 Gbit/s", "0.25 Gbit/s" (the unit the sweep's axis takes).
    static func bandwidth(_ bitsPerSecond: Double) -> String { text(bitsPerSecond / 1e9) + " Gbit/s" }

    /// A value for a gnuplot data file: plain decimal or exponent, always with a dot, "?" when missing.
    static func data(_ x: Double?) -> String {
        guard let x, x.isFinite else { return "?" }
        return String(format: "%.6g", x)
    }
}
