import Foundation
import MeshIO
import Testing

/// Values and what they must read back as after storage in a dtype, worked out by hand.
struct StorageCase: Sendable, CustomTestStringConvertible {
    var dtype: SafeTensorsDType
    var values: [Float]
    var expected: [Float]
    var testDescription: String { dtype.rawValue }
}

@Suite("safetensors")
struct SafeTensorsTests {
    // 0, 1, -2, 0.5, 3.25, -448 are exact in every format; the last two are ties in the format
    // of each case and round to even.
    static let storageCases: [StorageCase] = [
        StorageCase(dtype: .float32, values: [0, 1, -2, 0.5, 3.25, -448, 0.1, 1e30], expected: [0, 1, -2, 0.5, 3.25, -448, 0.1, 1e30]),
        // bfloat16 has a 2^-7 step at 1: 1 + 2^-8 ties down to 1, 1 + 3·2^-8 ties up to 1 + 2^-6.
        StorageCase(dtype: .bfloat16, values: [0, 1, -2, 0.5, 3.25, -448, 1 + 0x1p-8, 1 + 3 * 0x1p-8], expected: [0, 1, -2, 0.5, 3.25, -448, 1, 1 + 0x1p-6]),
        // float16 has a 2^-10 step at 1: 1 + 2^-11 ties down to 1, 1 + 3·2^-11 ties up to 1 + 2^-9.
        StorageCase(dtype: .float16, values: [0, 1, -2, 0.5, 3.25, -448, 1 + 0x1p-11, 1 + 3 * 0x1p-11], expected: [0, 1, -2, 0.5, 3.25, -448, 1, 1 + 0x1p-9]),
        // e4m3 has a 2^-3 step at 1: 1 + 2^-4 ties down to 1; 500 saturates to 448.
        StorageCase(dtype: .float8E4M3, values: [0, 1, -2, 0.5, 3.25, -448, 1 + 0x1p-4, 500], expected: [0, 1, -2, 0.5, 3.25, -448, 1, 448]),
    ]

    @Test("write then read, rounding exactly as worked out", arguments: storageCases)
    func roundTrip(_ example: StorageCase) throws {
        let directory = try TemporaryDirectory()
        var writer = SafeTensorsWriter(metadata: ["format": "pt", "note": "quote \" and é"])
        writer.add("layer.weight", shape: [2, 4], values: example.values, as: example.dtype)
        writer.add("layer.bias", shape: [3], values: [1, 2, 3])
        writer.add("scalar", shape: [], values: [42])
        writer.add("empty", shape: [0, 5], values: [])
        try writer.write(to: directory.file("m.safetensors"))
        #expect(try directory.contents() == ["m.safetensors"])

        let file = try SafeTensorsFile(contentsOf: directory.file("m.safetensors"))
        #expect(file.tensorNames == ["empty", "layer.bias", "layer.weight", "scalar"])
        #expect(file.metadata == ["format": "pt", "note": "quote \" and é"])
        let info = try #require(file.info("layer.weight"))
        #expect(info.dtype == example.dtype)
        #expect(info.shape == [2, 4])
        #expect(try file.floats("layer.weight", expectedShape: [2, 4]) == example.expected)
        #expect(try file.floats("layer.bias") == [1, 2, 3])
        #expect(try file.floats("scalar", expectedShape: []) == [42])
        #expect(try file.floats("empty", expectedShape: [0, 5]) == [])
        #expect(try file.bytes(of: "layer.weight").count == 8 * example.dtype.bytesPerElement)
        // Every tensor starts at a multiple of its element size (header padded to 8 bytes).
        for name in file.tensorNames {
            let info = try #require(file.info(name))
            #expect(info.dataOffsets.lowerBound % info.dtype.bytesPerElement == 0)
        }
    }

    @Test("the layout is the reference one: compact JSON, padded to 8 bytes with spaces")
    func referenceLayout() {
        var writer = SafeTensorsWriter()
        writer.add("attn.0", shape: [1, 2, 3], values: [0, 1, 2, 3, 4, 5])
        let header = #"{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}"#
        #expect(writer.encoded() == littleEndianBytes(UInt64(64)) + Array(header.utf8) + floatBytes([0, 1, 2, 3, 4, 5]))

        #expect(SafeTensorsWriter().encoded() == littleEndianBytes(UInt64(8)) + Array("{}      ".utf8))
        let withMetadata = SafeTensorsWriter(metadata: ["framework": "pt"]).encoded()
        #expect(withMetadata == littleEndianBytes(UInt64(40)) + Array(#"{"__metadata__":{"framework":"pt"}}     "#.utf8))
    }

    @Test("bfloat16 bytes on disk are the top halves of the Float bits")
    func bfloat16RawBytes() throws {
        var writer = SafeTensorsWriter()
        writer.add("w", shape: [3], values: [1, -2, Float(bitPattern: 0x4049_0FDB)], as: .bfloat16)
        let directory = try TemporaryDirectory()
        try writer.write(to: directory.file("w.safetensors"))
        let file = try SafeTensorsFile(contentsOf: directory.file("w.safetensors"))
        #expect(try file.bytes(of: "w") == [0x80, 0x3F, 0x00, 0xC0, 0x49, 0x40])
    }

    @Test("reads a file written by the Python safetensors package")
    func readsPythonFile() throws {
        // safetensors.numpy.save({"zeta.bias": float16 [0.5, -1, 65504], "alpha.weight": float32
        // [[1, 2], [3, -4.5]], "ids": int64 [7, -1, 2**40], "scalar": float64 2.5},
        // metadata={"format": "np", "note": "é\"q"}) with safetensors 0.8.0.
        let fixture = bytes(hex: "28010000000000007b225f5f6d657461646174615f5f223a7b22666f726d6174223a226e70222c226e6f7465223a22c3a95c2271227d2c22696473223a7b226474797065223a22493634222c227368617065223a5b335d2c22646174615f6f666673657473223a5b302c32345d7d2c227363616c6172223a7b226474797065223a22463634222c227368617065223a5b5d2c22646174615f6f666673657473223a5b32342c33325d7d2c22616c7068612e776569676874223a7b226474797065223a22463332222c227368617065223a5b322c325d2c22646174615f6f666673657473223a5b33322c34385d7d2c227a6574612e62696173223a7b226474797065223a22463136222c227368617065223a5b335d2c22646174615f6f666673657473223a5b34382c35345d7d7d2020200700000000000000ffffffffffffffff000000000001000000000000000004400000803f0000004000004040000090c0003800bcff7b")
        let directory = try TemporaryDirectory()
        try directory.write(fixture, to: "py.safetensors")
        let file = try SafeTensorsFile(contentsOf: directory.file("py.safetensors"))
        #expect(file.metadata == ["format": "np", "note": "é\"q"])
        #expect(file.tensorNames == ["alpha.weight", "ids", "scalar", "zeta.bias"])
        #expect(try file.floats("alpha.weight", expectedShape: [2, 2]) == [1, 2, 3, -4.5])
        #expect(try file.floats("zeta.bias") == [0.5, -1, 65504])
        #expect(try file.floats("scalar", expectedShape: []) == [2.5])
        #expect(file.info("ids")?.dtype == .int64)
        #expect(try file.bytes(of: "ids") == [7, 0, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 0xFF, count: 8) + [0, 0, 0, 0, 0, 1, 0, 0])
        expectFormatError(.unsupportedDType, mentioning: ["'ids'", "I64"]) { _ = try file.floats("ids") }
    }

    @Test("F8_E5M2 tensors decode as the top byte of a float16")
    func float8E5M2() throws {
        var writer = SafeTensorsWriter()
        // 0x3C → f16 0x3C00 = 1; 0xC0 → 0xC000 = -2; 0x7B → 0x7B00 = 57344 (largest finite);
        // 0x01 → 0x0100 = 256 · 2^-24 = 2^-16 (subnormal); 0x7C → infinity.
        writer.add("q", dtype: .float8E5M2, shape: [5], bytes: [0x3C, 0xC0, 0x7B, 0x01, 0x7C])
        let directory = try TemporaryDirectory()
        try writer.write(to: directory.file("q.safetensors"))
        let file = try SafeTensorsFile(contentsOf: directory.file("q.safetensors"))
        #expect(try file.floats("q") == [1, -2, 57344, 0x1p-16, .infinity])
    }

    @Test("readFloats fills caller storage and checks its size")
    func readFloatsIntoBuffer() throws {
        var writer = SafeTensorsWriter()
        writer.add("w", shape: [2, 2], values: [1, 2, 3, 4], as: .float16)
        let directory = try TemporaryDirectory()
        try writer.write(to: directory.file("w.safetensors"))
        let checkpoint = try SafeTensorsCheckpoint(contentsOf: directory.file("w.safetensors"))
        var buffer = [Float](repeating: 0, count: 4)
        try buffer.withUnsafeMutableBufferPointer { try checkpoint.readFloats("w", into: $0) }
        #expect(buffer == [1, 2, 3, 4])
        var small = [Float](repeating: 0, count: 3)
        expectFormatError(.shapeMismatch, mentioning: ["'w'", "3"]) {
            try small.withUnsafeMutableBufferPointer { try checkpoint.readFloats("w", into: $0) }
        }
    }
}

@Suite("safetensors checkpoints")
struct SafeTensorsCheckpointTests {
    /// Five tensors of 16, 16, 16, 64 and 8 bytes of F32.
    static func writer() -> SafeTensorsWriter {
        var writer = SafeTensorsWriter(metadata: ["format": "pt"])
        writer.add("a", shape: [4], values: [1, 2, 3, 4])
        writer.add("b", shape: [2, 2], values: [5, 6, 7, 8])
        writer.add("c", shape: [4], values: [9, 10, 11, 12])
        writer.add("d.big", shape: [4, 4], values: (0..<16).map(Float.init))
        writer.add("e", shape: [2], values: [-1, -2])
        return writer
    }

    @Test("sharded write, then reads through the index open only the shards needed")
    func shardedRoundTrip() throws {
        let directory = try TemporaryDirectory()
        // 40 bytes a shard: [a, b] (32), [c] (16 + 64 > 40), [d.big] (64, alone), [e] (8).
        let written = try Self.writer().writeSharded(toDirectory: directory.path, maxShardBytes: 40)
        let shards = (1...4).map { "model-0000\($0)-of-00004.safetensors" }
        #expect(written == shards + ["model.safetensors.index.json"])
        #expect(try directory.contents() == (shards + ["model.safetensors.index.json"]).sorted())

        let index = try String(contentsOfFile: directory.file("model.safetensors.index.json"), encoding: .utf8)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(index.utf8)) as? [String: Any])
        #expect((json["metadata"] as? [String: Any])?["total_size"] as? Int == 16 * 3 + 64 + 8)
        #expect((json["weight_map"] as? [String: String])?["d.big"] == shards[2])

        for path in [directory.path, directory.file("model.safetensors.index.json")] {
            let checkpoint = try SafeTensorsCheckpoint(contentsOf: path)
            #expect(checkpoint.tensorNames == ["a", "b", "c", "d.big", "e"])
            #expect(checkpoint.openedShardPaths.isEmpty, "opening reads only the index")
            #expect(checkpoint.contains("c") && !checkpoint.contains("z"))
            #expect(try checkpoint.floats("b", expectedShape: [2, 2]) == [5, 6, 7, 8])
            #expect(checkpoint.openedShardPaths == [directory.file(shards[0])])
            #expect(try checkpoint.floats("a") == [1, 2, 3, 4])
            #expect(checkpoint.openedShardPaths.count == 1, "a is in the shard already open")
            #expect(try checkpoint.floats("e") == [-1, -2])
            #expect(try checkpoint.info("d.big").shape == [4, 4])
            #expect(checkpoint.openedShardPaths == [directory.file(shards[0]), directory.file(shards[2]), directory.file(shards[3])])
            #expect(try checkpoint.file(containing: "c").metadata == ["format": "pt"])
        }
    }

    @Test("a folder with model.safetensors, or with unindexed shards, opens too")
    func folderForms() throws {
        let single = try TemporaryDirectory()
        try Self.writer().write(to: single.file("model.safetensors"))
        let checkpoint = try SafeTensorsCheckpoint(contentsOf: single.path)
        #expect(try checkpoint.floats("d.big").count == 16)

        let loose = try TemporaryDirectory()
        var first = SafeTensorsWriter()
        first.add("x", shape: [1], values: [1])
        try first.write(to: loose.file("part1.safetensors"))
        var second = SafeTensorsWriter()
        second.add("y", shape: [1], values: [2], as: .bfloat16)
        try second.write(to: loose.file("part2.safetensors"))
        let pair = try SafeTensorsCheckpoint(contentsOf: loose.path)
        #expect(pair.tensorNames == ["x", "y"])
        #expect(try pair.floats("y") == [2])
        #expect(pair.shardPath(of: "y") == loose.file("part2.safetensors"))

        try first.write(to: loose.file("part3.safetensors"))
        expectFormatError(.duplicateTensor, mentioning: ["'x'", "part1.safetensors", "part3.safetensors"]) {
            _ = try SafeTensorsCheckpoint(contentsOf: loose.path)
        }

        let empty = try TemporaryDirectory()
        expectFormatError(.missingFile, mentioning: [empty.path]) { _ = try SafeTensorsCheckpoint(contentsOf: empty.path) }
    }

    @Test("a wrong shape names the tensor, both shapes and the file")
    func shapeMismatch() throws {
        let directory = try TemporaryDirectory()
        try Self.writer().writeSharded(toDirectory: directory.path, maxShardBytes: 1000)
        let checkpoint = try SafeTensorsCheckpoint(contentsOf: directory.path)
        expectFormatError(.shapeMismatch, mentioning: ["'d.big'", "[4, 4]", "expected [4, 8]", "model-00001-of-00001.safetensors"]) {
            _ = try checkpoint.floats("d.big", expectedShape: [4, 8])
        }
    }

    @Test("a missing tensor names the tensor and the checkpoint")
    func missingTensor() throws {
        let directory = try TemporaryDirectory()
        try Self.writer().writeSharded(toDirectory: directory.path, maxShardBytes: 1000)
        let checkpoint = try SafeTensorsCheckpoint(contentsOf: directory.path)
        expectFormatError(.missingTensor, mentioning: ["'model.layers.0.mlp.gate.weight'", directory.path]) {
            _ = try checkpoint.floats("model.layers.0.mlp.gate.weight")
        }
        #expect(checkpoint.openedShardPaths.isEmpty)
    }

    @Test("an index naming a shard that is absent, or malformed, is refused")
    func badIndex() throws {
        let directory = try TemporaryDirectory()
        try Self.writer().writeSharded(toDirectory: directory.path, maxShardBytes: 40)
        try FileManager.default.removeItem(atPath: directory.file("model-00003-of-00004.safetensors"))
        expectFormatError(.missingFile, mentioning: ["model-00003-of-00004.safetensors", "index"]) {
            _ = try SafeTensorsCheckpoint(contentsOf: directory.path)
        }
        let index = directory.file("model.safetensors.index.json")
        for (text, fragment) in [
            (#"{"metadata": {}}"#, "weight_map"),
            (#"{"weight_map": {"a": 3}}"#, "'a'"),
            (#"{"weight_map": {"a": "../x.safetensors"}}"#, "../x.safetensors"),
            (#"{"weight_map": {"a": "x", "a": "y"}}"#, "duplicate"),
            ("{\"weight_map\": ", "JSON"),
        ] {
            try directory.write(Array(text.utf8), to: "model.safetensors.index.json")
            expectFormatError(.malformedHeader, mentioning: [index, fragment]) {
                _ = try SafeTensorsCheckpoint(contentsOf: directory.path)
            }
        }
    }

    @Test("a tensor the index puts in a shard that lacks it is a missing tensor in that shard")
    func indexDisagreesWithShard() throws {
        let directory = try TemporaryDirectory()
        try Self.writer().writeSharded(toDirectory: directory.path, maxShardBytes: 40)
        let text = #"{"weight_map": {"a": "model-00002-of-00004.safetensors"}}"#
        try directory.write(Array(text.utf8), to: "model.safetensors.index.json")
        let checkpoint = try SafeTensorsCheckpoint(contentsOf: directory.path)
        expectFormatError(.missingTensor, mentioning: ["'a'", "model-00002-of-00004.safetensors"]) {
            _ = try checkpoint.floats("a")
        }
    }
}

@Suite("malformed safetensors")
struct MalformedSafeTensorsTests {
    /// A file with the given JSON header (not padded) followed by `dataCount` bytes.
    static func file(_ header: String, dataCount: Int) -> [UInt8] {
        littleEndianBytes(UInt64(header.utf8.count)) + Array(header.utf8) + [UInt8](repeating: 0, count: dataCount)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]
        var code: FormatError.Code
        var mentions: [String]
        var testDescription: String { name }
    }

    static let f32x4 = #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#

    static let cases: [Case] = [
        Case(name: "shorter than 8 bytes", bytes: [1, 0, 0], code: .truncatedData, mentions: ["3 bytes"]),
        Case(name: "header length beyond the file", bytes: littleEndianBytes(UInt64(500)) + Array("{}".utf8), code: .truncatedData, mentions: ["500"]),
        Case(name: "header length absurd", bytes: littleEndianBytes(UInt64.max) + Array("{}".utf8), code: .malformedHeader, mentions: ["\(UInt64.max)"]),
        Case(name: "header not JSON", bytes: file("{w: 1}", dataCount: 0), code: .malformedHeader, mentions: ["JSON"]),
        Case(name: "header not an object", bytes: file("[1, 2]", dataCount: 0), code: .malformedHeader, mentions: ["'{'"]),
        Case(name: "duplicate tensor key", bytes: file(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, dataCount: 8), code: .malformedHeader, mentions: ["duplicate", "w"]),
        Case(name: "no dtype", bytes: file(#"{"w":{"shape":[4],"data_offsets":[0,16]}}"#, dataCount: 16), code: .malformedHeader, mentions: ["'w'", "dtype"]),
        Case(name: "unknown dtype", bytes: file(#"{"w":{"dtype":"F4","shape":[4],"data_offsets":[0,2]}}"#, dataCount: 2), code: .unsupportedDType, mentions: ["'w'", "'F4'"]),
        Case(name: "fractional shape", bytes: file(#"{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,16]}}"#, dataCount: 16), code: .malformedHeader, mentions: ["'w'", "shape"]),
        Case(name: "one offset", bytes: file(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[16]}}"#, dataCount: 16), code: .malformedHeader, mentions: ["'w'", "data_offsets"]),
        Case(name: "metadata not strings", bytes: file(#"{"__metadata__":{"n":1}}"#, dataCount: 0), code: .malformedHeader, mentions: ["__metadata__", "'n'"]),
        Case(name: "offsets too small for the shape", bytes: file(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,8]}}"#, dataCount: 8), code: .invalidOffsets, mentions: ["'w'", "8 bytes", "16"]),
        Case(name: "offsets out of range of the shape", bytes: file(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,64]}}"#, dataCount: 64), code: .invalidOffsets, mentions: ["'w'", "[0, 64]"]),
        Case(name: "offsets reversed", bytes: file(#"{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}"#, dataCount: 8), code: .invalidOffsets, mentions: ["'w'", "[8, 0]"]),
        Case(name: "gap before a tensor", bytes: file(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, dataCount: 8), code: .invalidOffsets, mentions: ["'w'", "gap"]),
        Case(name: "overlapping tensors", bytes: file(#"{"v":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, dataCount: 8), code: .invalidOffsets, mentions: ["'w'", "overlaps"]),
        Case(name: "truncated data", bytes: file(f32x4, dataCount: 10), code: .truncatedData, mentions: ["16 bytes", "10", "'w'"]),
        Case(name: "trailing data", bytes: file(f32x4, dataCount: 20), code: .trailingData, mentions: ["16 bytes", "20"]),
    ]

    @Test("each malformed file gives its FormatError, naming the file", arguments: cases)
    func malformed(_ example: Case) throws {
        let directory = try TemporaryDirectory()
        try directory.write(example.bytes, to: "bad.safetensors")
        expectFormatError(example.code, mentioning: [directory.file("bad.safetensors")] + example.mentions) {
            _ = try SafeTensorsFile(contentsOf: directory.file("bad.safetensors"))
        }
    }

    @Test("a real file cut short anywhere is refused, never crashes")
    func truncatedEverywhere() throws {
        var writer = SafeTensorsWriter(metadata: ["k": "v"])
        writer.add("a", shape: [3], values: [1, 2, 3], as: .bfloat16)
        writer.add("b", shape: [2], values: [4, 5])
        let whole = writer.encoded()
        let directory = try TemporaryDirectory()
        for length in 0..<whole.count {
            try directory.write(Array(whole.prefix(length)), to: "cut.safetensors")
            do {
                _ = try SafeTensorsFile(contentsOf: directory.file("cut.safetensors"))
                Issue.record("a file cut to \(length) of \(whole.count) bytes was accepted")
            } catch let error as FormatError {
                #expect([.truncatedData, .malformedHeader].contains(error.code), "\(error)")
            }
        }
    }
}
