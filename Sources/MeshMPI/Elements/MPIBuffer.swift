/// A fixed-size, heap-allocated run of elements that a non-blocking MPI operation can own.
///
/// Non-blocking operations read or write their buffers after the call that starts them returns,
/// so the buffers must outlive the call. An `MPIBuffer` is `~Copyable`: `isend`, `irecv` and
/// `ialltoallv` take it by `consuming` and their requests hand it back from `wait`, so the compiler
/// rules out touching or freeing it while MPI owns it. Fill it in place through
/// `withUnsafeMutableBufferPointer` or `withUnsafeMutableBytes` to send packed data with no copy.
///
/// The storage is aligned for `Element`; new buffers start zeroed.
public struct MPIBuffer<Element: MPIElement>: ~Copyable, @unchecked Sendable {
    // Sendable: the storage is owned by this one value and moves with it; nothing else refers to it.
    private let storage: UnsafeMutableBufferPointer<Element>

    /// Creates a buffer of `count` zeroed elements.
    public init(count: Int) {
        precondition(count >= 0, "MPIBuffer count must not be negative, got \(count)")
        let stride = MemoryLayout<Element>.stride
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: count * stride, alignment: MemoryLayout<Element>.alignment)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: count * stride)
        storage = UnsafeMutableBufferPointer(start: raw.bindMemory(to: Element.self, capacity: count), count: count)
    }

    /// Creates a buffer of `count` copies of `value`.
    public init(repeating value: Element, count: Int) {
        self.init(count: count)
        storage.update(repeating: value)
    }

    /// Creates a buffer holding a copy of `elements`.
    public init(_ elements: [Element]) {
        self.init(count: elements.count)
        _ = storage.update(fromContentsOf: elements)
    }

    /// Takes ownership of storage MeshMPI allocated for an `MPIBuffer` earlier.
    init(adopting storage: UnsafeMutableBufferPointer<Element>) {
        self.storage = storage
    }

    /// Gives up the storage without freeing it, for a request to hold while MPI uses it.
    consuming func releaseStorage() -> UnsafeMutableBufferPointer<Element> {
        let storage = self.storage
        discard self
        return storage
    }

    deinit {
        storage.deallocate()
    }

    /// The number of elements.
    public var count: Int { storage.count }

    /// The size in bytes.
    public var byteCount: Int { storage.count * MemoryLayout<Element>.stride }

    /// The element at `index`, bounds-checked.
    public subscript(index: Int) -> Element {
        get {
            precondition(storage.indices.contains(index), "MPIBuffer index \(index) out of range 0..<\(count)")
            return storage[index]
        }
        set {
            precondition(storage.indices.contains(index), "MPIBuffer index \(index) out of range 0..<\(count)")
            storage[index] = newValue
        }
    }

    /// Calls `body` with the elements; the pointer must not escape.
    public func withUnsafeBufferPointer<Result: ~Copyable, Failure: Error>(
        _ body: (UnsafeBufferPointer<Element>) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(UnsafeBufferPointer(storage))
    }

    /// Calls `body` with the elements to change in place; the pointer must not escape.
    public mutating func withUnsafeMutableBufferPointer<Result: ~Copyable, Failure: Error>(
        _ body: (UnsafeMutableBufferPointer<Element>) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(storage)
    }

    /// Calls `body` with the bytes; the pointer must not escape.
    public func withUnsafeBytes<Result: ~Copyable, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(UnsafeRawBufferPointer(storage))
    }

    /// Calls `body` with the bytes to change in place, such as to pack tokens; must not escape.
    public mutating func withUnsafeMutableBytes<Result: ~Copyable, Failure: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(UnsafeMutableRawBufferPointer(storage))
    }
}

extension Array where Element: MPIElement {
    /// Creates an array holding a copy of a buffer's elements.
    public init(_ buffer: borrowing MPIBuffer<Element>) {
        self = buffer.withUnsafeBufferPointer { Array($0) }
    }

    /// Creates an array holding a copy of the first `count` elements of a buffer.
    public init(_ buffer: borrowing MPIBuffer<Element>, prefix count: Int) {
        self = buffer.withUnsafeBufferPointer { Array($0.prefix(count)) }
    }
}
