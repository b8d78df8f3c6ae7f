/// Makes `buffer` hold at least `count` elements: scratch that grows by half again when a layer
/// needs more, and is reused from layer to layer.
@inline(__always)
func grow(_ buffer: inout [Float], _ count: Int) {
    if buffer.count < count { buffer = [Float](repeating: 0, count: max(count, buffer.count * 3 / 2)) }
}
