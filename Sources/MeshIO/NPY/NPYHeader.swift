/// The three facts an `.npy` header states: element type, memory order and shape.
///
/// NumPy writes the header as a Python dict literal such as
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` and reads it back with
/// `ast.literal_eval`. This parser accepts exactly the subset NumPy writes (quoted strings,
/// `True`/`False`, tuples of non-negative integers, whitespace and trailing commas anywhere
/// Python allows them) and requires exactly the three keys, as `numpy.lib.format` does.
struct NPYHeader: Equatable {
    var descr: String
    var fortranOrder: Bool
    var shape: [Int]

    /// Why a header did not parse: malformed, or a structured dtype (a list), which is
    /// well-formed but unsupported.
    enum ParseError: Error, Equatable {
        case malformed(String)
        case structuredDType
    }

    /// Parses the dict text of a header (without the magic and length prefix).
    static func parse(_ text: [UInt8]) throws(ParseError) -> NPYHeader {
        var parser = PythonLiteralParser(bytes: text)
        let entries = try parser.parseDict()
        parser.skipWhitespace()
        guard parser.index == text.count else {
            throw .malformed("unexpected text after the header dict")
        }
        let keys = Set(entries.keys)
        guard keys == ["descr", "fortran_order", "shape"] else {
            let found = entries.keys.sorted().map { "'\($0)'" }.joined(separator: ", ")
            throw .malformed("expected the keys 'descr', 'fortran_order' and 'shape', found \(found)")
        }
        guard case .string(let descr) = entries["descr"] else {
            throw .malformed("'descr' is not a string")
        }
        guard case .bool(let fortranOrder) = entries["fortran_order"] else {
            throw .malformed("'fortran_order' is not True or False")
        }
        guard case .tuple(let dimensions) = entries["shape"] else {
            throw .malformed("'shape' is not a tuple of integers")
        }
        return NPYHeader(descr: descr, fortranOrder: fortranOrder, shape: dimensions)
    }

    /// The dict text NumPy writes for this header, without padding.
    ///
    /// Matches `numpy.lib.format` byte for byte: keys sorted, `repr` of each value, a trailing
    /// `, ` before the closing brace.
    var dictText: String {
        "{'descr': '\(descr)', 'fortran_order': \(fortranOrder ? "True" : "False"), 'shape': \(Self.tupleText(shape)), }"
    }

    /// A shape as Python writes the tuple: `()`, `(3,)`, `(2, 3)`.
    static func tupleText(_ shape: [Int]) -> String {
        switch shape.count {
        case 0: "()"
        case 1: "(\(shape[0]),)"
        default: "(" + shape.map(String.init).joined(separator: ", ") + ")"
        }
    }
}

private enum PythonLiteral {
    case string(String)
    case bool(Bool)
    case tuple([Int])
}

private struct PythonLiteralParser {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    var current: UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
            index += 1
        }
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws(NPYHeader.ParseError) {
        skipWhitespace()
        guard current == byte else { throw .malformed("expected \(what) at byte \(index)") }
        index += 1
    }

    mutating func parseDict() throws(NPYHeader.ParseError) -> [String: PythonLiteral] {
        try expect(UInt8(ascii: "{"), "'{' starting the header dict")
        var entries: [String: PythonLiteral] = [:]
        while true {
            skipWhitespace()
            if current == UInt8(ascii: "}") {
                index += 1
                return entries
            }
            guard current == UInt8(ascii: "'") || current == UInt8(ascii: "\"") else {
                throw .malformed("expected a quoted key or '}' at byte \(index)")
            }
            let key = try parseString()
            try expect(UInt8(ascii: ":"), "':' after '\(key)'")
            skipWhitespace()
            if key == "descr", current == UInt8(ascii: "[") {
                throw .structuredDType
            }
            let value = try parseValue(key: key)
            guard entries.updateValue(value, forKey: key) == nil else {
                throw .malformed("duplicate key '\(key)'")
            }
            skipWhitespace()
            if current == UInt8(ascii: ",") {
                index += 1
            } else if current != UInt8(ascii: "}") {
                throw .malformed("expected ',' or '}' at byte \(index)")
            }
        }
    }

    mutating func parseValue(key: String) throws(NPYHeader.ParseError) -> PythonLiteral {
        switch current {
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "("):
            return .tuple(try parseTuple(key: key))
        case UInt8(ascii: "T"), UInt8(ascii: "F"):
            if matches("True") {
                index += 4
                return .bool(true)
            }
            if matches("False") {
                index += 5
                return .bool(false)
            }
        default:
            break
        }
        throw .malformed("unsupported value for '\(key)' at byte \(index)")
    }

    func matches(_ word: String) -> Bool {
        let utf8 = Array(word.utf8)
        guard index + utf8.count <= bytes.count, Array(bytes[index..<index + utf8.count]) == utf8 else {
            return false
        }
        // "Truex" is a name, not True.
        if let next = index + utf8.count < bytes.count ? bytes[index + utf8.count] : nil {
            return !(next == UInt8(ascii: "_") || (next | 0x20 >= UInt8(ascii: "a") && next | 0x20 <= UInt8(ascii: "z"))
                || (next >= UInt8(ascii: "0") && next <= UInt8(ascii: "9")))
        }
        return true
    }

    /// A quoted string without escapes (NumPy never writes any), ASCII only.
    mutating func parseString() throws(NPYHeader.ParseError) -> String {
        guard let quote = current else { throw .malformed("expected a string") }
        let start = index
        index += 1
        while let byte = current, byte != quote {
            guard byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\") else {
                throw .malformed("unsupported character in a string at byte \(index)")
            }
            index += 1
        }
        guard current == quote else { throw .malformed("unterminated string at byte \(start)") }
        index += 1
        return String(decoding: bytes[(start + 1)..<(index - 1)], as: UTF8.self)
    }

    /// `()`, `(3,)`, `(2, 3)`, `(2, 3,)`; `(3)` is an int in Python, not a tuple.
    mutating func parseTuple(key: String) throws(NPYHeader.ParseError) -> [Int] {
        index += 1  // "("
        var elements: [Int] = []
        var sawTrailingComma = false
        while true {
            skipWhitespace()
            if current == UInt8(ascii: ")") {
                index += 1
                guard elements.count != 1 || sawTrailingComma else {
                    throw .malformed("'\(key)' is a parenthesized integer, not a tuple")
                }
                return elements
            }
            elements.append(try parseDimension(key: key))
            skipWhitespace()
            sawTrailingComma = current == UInt8(ascii: ",")
            if sawTrailingComma {
                index += 1
            } else if current != UInt8(ascii: ")") {
                throw .malformed("expected ',' or ')' in '\(key)' at byte \(index)")
            }
        }
    }

    mutating func parseDimension(key: String) throws(NPYHeader.ParseError) -> Int {
        if current == UInt8(ascii: "-") {
            throw .malformed("negative dimension in '\(key)'")
        }
        var value = 0
        var digitCount = 0
        while let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { throw .malformed("dimension too large in '\(key)'") }
            value = sum
            digitCount += 1
            index += 1
        }
        guard digitCount > 0 else { throw .malformed("expected an integer in '\(key)' at byte \(index)") }
        return value
    }
}
