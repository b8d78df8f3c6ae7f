import Foundation
import MeshIO
import Testing

@Suite("npy")
struct NPYTests {
    static let shapes: [[Int]] = [[], [5], [2, 3], [2, 3, 4], [0], [2, 0, 3]]

    static func sample(shape: [Int], kind: String) -> NPYArray {
        let count = shape.reduce(1, *)
        switch kind {
        case "f4": return NPYArray(shape: shape, floats: (0..<count).map { Float($0) * 0.75 - 3.5 })
        case "i4": return NPYArray(shape: shape, storage: .int32((0..<count).map { Int32($0) * -7 + Int32.max - 100 }))
        default: return NPYArray(shape: shape, storage: .int64((0..<count).map { Int64($0) << 40 - 5 }))
        }
    }

    @Test("write then read gives the same array", arguments: ["f4", "i4", "i8"], shapes)
    func roundTrip(kind: String, shape: [Int]) throws {
        let directory = try TemporaryDirectory()
        let array = Self.sample(shape: shape, kind: kind)
        try array.write(to: directory.file("a.npy"))
        let loaded = try NPYArray.read(contentsOf: directory.file("a.npy"))
        #expect(loaded == array)
        #expect(loaded.shape == shape)
        #expect(try directory.contents() == ["a.npy"])
    }

    @Test("the written header is numpy's, data aligned to 64 bytes")
    func headerMatchesNumpy() {
        // np.save(f, np.arange(6, dtype='<f4').reshape(2, 3)) writes 128 header bytes, then data.
        let bytes = NPYArray(shape: [2, 3], floats: [0, 1, 2, 3, 4, 5]).encoded()
        let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
        let expectedHeader = [0x93] + Array("NUMPY".utf8) + [1, 0, 0x76, 0]
            + Array(dict.utf8) + [UInt8](repeating: 0x20, count: 128 - 10 - dict.utf8.count - 1) + [0x0A]
        #expect(bytes.count == 152)
        #expect(Array(bytes.prefix(128)) == expectedHeader)
        #expect(Array(bytes.suffix(24)) == floatBytes([0, 1, 2, 3, 4, 5]))
    }

    @Test("reads files numpy wrote: <f8 (converted), <i8 in format 2.0, a 0-d <f4")
    func readsNumpyFiles() throws {
        let directory = try TemporaryDirectory()
        // np.save(f, np.array([1.5, -2.25, 1e-3], dtype='<f8'))
        try directory.write(bytes(hex: "934e554d5059010076007b276465736372273a20273c6638272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a000000000000f83f00000000000002c0fca9f1d24d62503f"), to: "f8.npy")
        let doubles = try NPYArray.read(contentsOf: directory.file("f8.npy"))
        #expect(doubles.shape == [3])
        #expect(doubles.storage == .float32([1.5, -2.25, Float(1e-3 as Double)]))

        // np.lib.format.write_array(f, np.array([[1, -2], [3, 2**40]], dtype='<i8'), version=(2, 0))
        try directory.write(bytes(hex: "934e554d50590200740000007b276465736372273a20273c6938272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2032292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0100000000000000feffffffffffffff03000000000000000000000000010000"), to: "i8.npy")
        let integers = try NPYArray.read(contentsOf: directory.file("i8.npy"))
        #expect(integers == NPYArray(shape: [2, 2], storage: .int64([1, -2, 3, 1 << 40])))

        // np.save(f, np.float32(7.5))
        let scalarDict = "{'descr': '<f4', 'fortran_order': False, 'shape': (), }"
        let scalar = [0x93] + Array("NUMPY".utf8) + [1, 0, 0x76, 0] + Array(scalarDict.utf8)
            + [UInt8](repeating: 0x20, count: 0x76 - scalarDict.utf8.count - 1) + [0x0A] + floatBytes([7.5])
        try directory.write(scalar, to: "scalar.npy")
        #expect(try NPYArray.read(contentsOf: directory.file("scalar.npy")) == NPYArray(shape: [], floats: [7.5]))
    }

    @Test("headers written differently from numpy but valid Python are accepted")
    func lenientWhitespaceAndOrder() throws {
        let directory = try TemporaryDirectory()
        try directory.write(
            Self.file(header: "{\"shape\":(2,),\"fortran_order\":False,'descr':'<f4'}\n", data: floatBytes([1, 2])),
            to: "a.npy")
        #expect(try NPYArray.read(contentsOf: directory.file("a.npy")) == NPYArray(shape: [2], floats: [1, 2]))
    }

    /// A malformed file and the error it must give.
    struct MalformedCase: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]
        var code: FormatError.Code
        var mentions: [String]
        var testDescription: String { name }
    }

    /// A version 1.0 file with the given header dict text and data.
    static func file(header: String, data: [UInt8], version: (UInt8, UInt8) = (1, 0)) -> [UInt8] {
        let text = Array(header.utf8)
        let length = version.0 == 1 ? littleEndianBytes(UInt16(text.count)) : littleEndianBytes(UInt32(text.count))
        return [0x93] + Array("NUMPY".utf8) + [version.0, version.1] + length + text + data
    }

    static let good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n"

    static let malformed: [MalformedCase] = [
        MalformedCase(name: "empty file", bytes: [], code: .badMagic, mentions: ["NUMPY"]),
        MalformedCase(name: "bad magic", bytes: Array("PK\u{3}\u{4} not numpy at all".utf8), code: .badMagic, mentions: ["NUMPY"]),
        MalformedCase(name: "version 4.0", bytes: file(header: good, data: floatBytes([1, 2]), version: (4, 0)), code: .unsupportedVersion, mentions: ["4.0"]),
        MalformedCase(name: "header longer than the file", bytes: Array(file(header: good, data: []).dropLast(5)), code: .truncatedData, mentions: ["header"]),
        MalformedCase(name: "header is a list", bytes: file(header: "[1, 2]\n", data: []), code: .malformedHeader, mentions: ["'{'"]),
        MalformedCase(name: "missing shape", bytes: file(header: "{'descr': '<f4', 'fortran_order': False}\n", data: []), code: .malformedHeader, mentions: ["'shape'"]),
        MalformedCase(name: "extra key", bytes: file(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': True}\n", data: floatBytes([1, 2])), code: .malformedHeader, mentions: ["'x'"]),
        MalformedCase(name: "duplicate key", bytes: file(header: "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}\n", data: floatBytes([1, 2])), code: .malformedHeader, mentions: ["duplicate"]),
        MalformedCase(name: "shape is an int", bytes: file(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2), }\n", data: floatBytes([1, 2])), code: .malformedHeader, mentions: ["not a tuple"]),
        MalformedCase(name: "negative dimension", bytes: file(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }\n", data: []), code: .malformedHeader, mentions: ["negative"]),
        MalformedCase(name: "fortran_order not a bool", bytes: file(header: "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }\n", data: floatBytes([1, 2])), code: .malformedHeader, mentions: ["fortran_order"]),
        MalformedCase(name: "unterminated dict", bytes: file(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)\n", data: []), code: .malformedHeader, mentions: ["'}'"]),
        MalformedCase(name: "text after the dict", bytes: file(header: String(good.dropLast()) + " x\n", data: floatBytes([1, 2])), code: .malformedHeader, mentions: ["after"]),
        MalformedCase(name: "shape overflows", bytes: file(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }\n", data: []), code: .malformedHeader, mentions: ["addressed"]),
        MalformedCase(name: "Fortran order", bytes: file(header: "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 1), }\n", data: floatBytes([1, 2])), code: .unsupportedLayout, mentions: ["fortran_order"]),
        MalformedCase(name: "big-endian floats", bytes: file(header: "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }\n", data: floatBytes([1, 2])), code: .unsupportedDType, mentions: ["'>f4'"]),
        MalformedCase(name: "complex", bytes: file(header: "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }\n", data: floatBytes([1, 2])), code: .unsupportedDType, mentions: ["'<c8'"]),
        MalformedCase(name: "structured dtype", bytes: file(header: "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }\n", data: floatBytes([1, 2])), code: .unsupportedDType, mentions: ["structured"]),
        MalformedCase(name: "truncated data", bytes: file(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", data: floatBytes([1, 2, 3, 4, 5])), code: .truncatedData, mentions: ["(2, 3)", "24 bytes", "20"]),
        MalformedCase(name: "trailing data", bytes: file(header: good, data: floatBytes([1, 2, 3])), code: .trailingData, mentions: ["8 bytes", "12"]),
    ]

    @Test("each malformed file gives its FormatError, naming the file", arguments: malformed)
    func malformedFile(_ example: MalformedCase) throws {
        let directory = try TemporaryDirectory()
        try directory.write(example.bytes, to: "bad.npy")
        expectFormatError(example.code, mentioning: [directory.file("bad.npy")] + example.mentions) {
            _ = try NPYArray.read(contentsOf: directory.file("bad.npy"))
        }
    }

    @Test("a missing file and a directory are reported as such")
    func missingOrDirectory() throws {
        let directory = try TemporaryDirectory()
        expectFormatError(.missingFile, mentioning: [directory.file("nope.npy")]) {
            _ = try NPYArray.read(contentsOf: directory.file("nope.npy"))
        }
        expectFormatError(.unreadableFile, mentioning: [directory.path, "directory"]) {
            _ = try NPYArray.read(contentsOf: directory.path)
        }
    }

    @Test("writing into a missing folder fails cleanly")
    func writeIntoMissingFolder() throws {
        let directory = try TemporaryDirectory()
        expectFormatError(.writeFailed, mentioning: [directory.file("no/a.npy")]) {
            try NPYArray(shape: [1], floats: [1]).write(to: directory.file("no/a.npy"))
        }
        #expect(try directory.contents().isEmpty)
    }
}
