/// Holds one ~Copyable request so that several can be kept in an array.
final class Pending<Request: ~Copyable> {
    private var request: Request?

    init(_ request: consuming Request) { self.request = .some(request) }

    func take() -> Request { request.take()! }
}
