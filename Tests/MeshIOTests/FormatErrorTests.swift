import MeshIO
import Testing

@Suite("format errors")
struct FormatErrorTests {
    @Test("the description is one line: path, problem, detail")
    func oneLine() {
        let error = FormatError(.truncatedData, path: "/data/w.npy", detail: "quoted \"a\nb\"\tend")
        #expect(error.description == #"/data/w.npy: truncated data: quoted "a\nb"\tend"#)
        #expect(!error.description.contains("\n"))
        let input: any InputError = error
        #expect(input.description == error.description)
    }

    @Test("codes compare by identity")
    func codes() {
        #expect(FormatError.Code.missingFile == .missingFile)
        #expect(FormatError.Code.missingFile != .missingTensor)
        #expect(FormatError.Code.shapeMismatch.description == "shape mismatch")
    }
}
